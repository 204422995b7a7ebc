#!/usr/bin/env bash
# Offline install of the portal from this bundle, with no network:
#   ./install.sh /srv/medassist      -> /srv/medassist/venv (Python packages), /srv/medassist/app (source),
#                                       /srv/medassist/{media,help,static}, and /var/lib/medassist (beat's schedule)
# Needs Python of the version in PYTHON-VERSION (with venv) and the Debian packages in
# DEBIAN-PACKAGES.txt. Running it again upgrades the source and the packages in place; .env and the
# folders' contents are kept.
#   PYTHON=/path/to/python3.X   the Python to use, if it is not found by itself (see below)
#   STATE_DIR=/var/lib/medassist where beat keeps its schedule (systemd's StateDirectory makes it too)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${1:?"用法 (usage): install.sh 安装目录，如 /srv/medassist"}
want=$(cat "$here/PYTHON-VERSION")
state=${STATE_DIR:-/var/lib/medassist}
python=""
candidates=()
[ -n "${PYTHON:-}" ] && candidates+=("$PYTHON")
candidates+=("python$want" "/usr/local/bin/python$want" "/usr/bin/python$want" "/opt/python$want/bin/python$want")
for root in "${PYENV_ROOT:-}" "${HOME:-/root}/.pyenv" /root/.pyenv /opt/pyenv; do
  [ -n "$root" ] && for p in "$root"/versions/"$want".*/bin/python"$want"; do [ -x "$p" ] && candidates+=("$p"); done
done
candidates+=(python3)
for candidate in "${candidates[@]}"; do
  if "$candidate" -c "import sys, venv; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$want')" 2>/dev/null; then
    python=$candidate; break
  fi
done
if [ -z "$python" ]; then
  have=$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")' 2>/dev/null || echo "无")
  cat >&2 <<MSG
需要 Python $want（本安装包按该版本构建；本机 python3 是 $have）。
  已装在别处的，用 PYTHON 指定它，例如：
      PYTHON=/usr/local/bin/python$want $0 $prefix
  Debian 13 自带 Python 3.13：apt-get install python3 python3-venv。
  Debian 12 自带 3.11：请安装与构建本安装包时相同的 Python $want（如从内网软件源，或把构建机上的
  /usr/local 下的 Python $want 拷来），或在目标系统的 Python 上重新 make bundle。
Python $want is needed (this bundle was built for it; python3 here is $have). Give it with
PYTHON=/path/to/python$want, e.g. PYTHON=/usr/local/bin/python$want $0 $prefix
MSG
  exit 1
fi
echo "使用 (using) $python"
mkdir -p "$prefix/app" "$prefix/media" "$prefix/help" "$prefix/static"
[ -x "$prefix/venv/bin/python" ] || "$python" -m venv "$prefix/venv"
"$prefix/venv/bin/python" -m pip install -q --no-index --find-links "$here/wheels" --upgrade pip
"$prefix/venv/bin/python" -m pip install -q --no-index --find-links "$here/wheels" -r "$here/requirements.txt"
tar -xzf "$here/portal-src.tar.gz" -C "$prefix/app"
if mkdir -p "$state" 2>/dev/null; then
  if id medassist >/dev/null 2>&1; then chown medassist:medassist "$state" "$prefix/media" "$prefix/help" || true; fi
else
  echo "注意：无法创建 $state（beat 的定时表放在这里）：请以 root 运行，或用 STATE_DIR 指定可写的目录。" >&2
fi
echo "已安装到 $prefix：程序 $prefix/app，Python 环境 $prefix/venv，定时表目录 $state。"
echo "下一步见 docs/production.md（.env、两个数据库角色、migrate、systemd 与 nginx：$prefix/app/deploy/）。"
