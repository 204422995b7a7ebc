"""Key rotation for the encrypted identifiers (core/crypto.py).

    manage.py rotate_keys --generate      print a new encryption key and a new index key
    manage.py rotate_keys                 re-encrypt every value with the current (first) key and
                                          recompute every blind index with the current index key
    manage.py rotate_keys --check         count the values under each key; change nothing

The procedure (docs/security.md): put the new key first in FIELD_ENCRYPTION_KEYS, keep the old one
after it, restart; run `rotate_keys`; when `--check` says every value uses the new key, drop the
old one and restart. A new BLIND_INDEX_KEY takes effect for lookups as soon as the portal restarts:
change it in a maintenance window and run `rotate_keys` right away.
"""

from __future__ import annotations

import base64
import secrets
from collections import Counter
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from core import crypto

CHUNK = 2000


def _encrypted_models() -> list[tuple[Any, list[Any], list[Any]]]:
    found = []
    for model in apps.get_models():
        fields = model._meta.concrete_fields
        sealed = [f for f in fields if isinstance(f, crypto.EncryptedCharField)]
        if sealed:
            indexes = [f for f in fields if isinstance(f, crypto.BlindIndexField)]
            found.append((model, sealed, indexes))
    return found


class Command(BaseCommand):
    help = "Re-encrypt the encrypted identifiers with the current key (or --check, --generate)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="count values per key only")
        parser.add_argument("--generate", action="store_true", help="print new keys")
        parser.add_argument("--algorithm", default="aes256gcm", choices=sorted(crypto.ALGORITHMS))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate"]:
            kid = "k" + secrets.token_hex(3)
            self.stdout.write(
                f"FIELD_ENCRYPTION_KEYS 新密钥（放在最前）：{crypto.Key.generate(kid, options['algorithm'])}"
            )
            index = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
            self.stdout.write(f"BLIND_INDEX_KEY（仅在更换索引密钥时使用）：{index}")
            return
        ring = crypto.keyring()
        if options["check"]:
            self._check(ring)
            return
        for model, sealed, indexes in _encrypted_models():
            done = self._rotate(model, sealed, indexes, ring)
            for f in sealed:
                self.stdout.write(
                    f"{model._meta.label}.{f.name}: {done} 条已用密钥 {ring.current.kid} 重新加密"
                )

    def _rotate(
        self, model: Any, sealed: list[Any], indexes: list[Any], ring: crypto.Keyring
    ) -> int:
        pk = model._meta.pk
        q = connection.ops.quote_name
        columns = [f.column for f in sealed] + [f.column for f in indexes]
        update = (
            f"UPDATE {q(model._meta.db_table)} SET "  # noqa: S608 (names only)
            + ", ".join(f"{q(c)} = %s" for c in columns)
            + f" WHERE {q(pk.column)} = %s"
        )
        names = [f.attname for f in sealed]
        rows = model._base_manager.order_by(pk.attname).values_list(pk.attname, *names)
        last, done = None, 0
        while True:
            try:
                chunk = list((rows.filter(pk__gt=last) if last is not None else rows)[:CHUNK])
            except crypto.DecryptionError as exc:
                raise CommandError(
                    f"{model._meta.label} 中有值无法用已配置的密钥解密（{exc}）：请把旧密钥保留在 FIELD_ENCRYPTION_KEYS 中。"
                ) from exc
            if not chunk:
                return done
            params = []
            for key, *values in chunk:
                clear = dict(zip(names, values, strict=True))
                sealed_values = [f.encrypt(clear[f.attname]) for f in sealed]
                index_values = [
                    f.of(clear[f.source]) if clear.get(f.source) else None for f in indexes
                ]
                params.append([*sealed_values, *index_values, key])
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(update, params)
            done += len(chunk)
            last = chunk[-1][0]

    def _check(self, ring: crypto.Keyring) -> None:
        q = connection.ops.quote_name
        total: Counter[str] = Counter()
        for model, sealed, _ in _encrypted_models():
            for f in sealed:
                counts: Counter[str] = Counter()
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT {q(f.column)} FROM {q(model._meta.db_table)} WHERE {q(f.column)} <> ''"  # noqa: S608
                    )
                    for (value,) in cursor.fetchall():
                        counts[
                            ring.key_id_of(value) if value.startswith(crypto.PREFIX) else "（明文）"
                        ] += 1
                total.update(counts)
                shown = "，".join(f"{k} {n} 条" for k, n in sorted(counts.items())) or "无数据"
                self.stdout.write(f"{model._meta.label}.{f.name}: {shown}")
        others = {k: n for k, n in total.items() if k != ring.current.kid}
        if others:
            self.stdout.write(
                f"尚有 {sum(others.values())} 条不是当前密钥 {ring.current.kid}：请运行 manage.py rotate_keys。"
            )
        else:
            self.stdout.write(f"全部使用当前密钥 {ring.current.kid}。")
