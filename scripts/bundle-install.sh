#!/usr/bin/env bash
# Offline install of the portal from this bundle, with no network:
#   ./install.sh /srv/medassist      -> /srv/medassist/venv (Python packages), /srv/medassist/app (source)
# Needs Python of the version in PYTHON-VERSION (with venv) and the Debian packages in
# DEBIAN-PACKAGES.txt. Running it again upgrades the source and the packages in place.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:?"用法 (usage): install.sh 安装目录，如 /srv/medassist"}
want=$(cat "$here/PYTHON-VERSION")
python=""
for candidate in ${PYTHON:-} "python$want" python3; do
  if "$candidate" -c "import sys, venv; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$want')" 2>/dev/null; then
    python=$candidate; break
  fi
done
if [ -z "$python" ]; then
  echo "需要 Python $want（本安装包按该版本构建）。可用 PYTHON=/path/to/python$want 指定。" >&2
  exit 1
fi
mkdir -p "$prefix/app"
[ -x "$prefix/venv/bin/python" ] || "$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install -q --no-index --find-links "$here/wheels" --upgrade pip
"$prefix/venv/bin/python" -m pip install -q --no-index --find-links "$here/wheels" -r "$here/requirements.txt"
tar -xzf "$here/portal-src.tar.gz" -C "$prefix/app"
echo "已安装到 $prefix：程序 $prefix/app，Python 环境 $prefix/venv。下一步见 README 的“Production”一节。"
