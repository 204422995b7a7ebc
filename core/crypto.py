"""Identifiers encrypted at rest, and the blind index that still finds them.

ID numbers and bank account numbers (PIPL: sensitive personal information; 等保 2.0 level 3:
important data confidential in storage) are stored as authenticated ciphertext:

    e1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>

- AES-256-GCM by default, or SM4-GCM (国密, GB/T 32907) for a deployment that requires it, both
  from ``cryptography`` (OpenSSL underneath). The key id in each value says which key (and so which
  algorithm) opened it: keys can be rotated without a flag day (``manage.py rotate_keys``).
- The column's name is the associated data: a value copied into another column does not open.
- Exact lookups go through a keyed blind index, HMAC-SHA256 of the normalised value under a key of
  its own cut to 128 bits (``BlindIndexField``, 22 characters); the unique constraint sits on it.
- Keys come from the environment (``FIELD_ENCRYPTION_KEYS``, ``BLIND_INDEX_KEY``) or a key file
  (``PORTAL_KEY_FILE``), never from the database. ``manage.py rotate_keys --generate`` prints new ones.

An encrypted field refuses every lookup but ``isnull`` and equality with "" (a random nonce makes
``filter(id_number=x)`` match nothing, silently): search through the blind index instead.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models.lookups import Exact, IsNull

PREFIX = "e1:"
NONCE = 12
TAG = 16
ALGORITHMS = {"aes256gcm": 32, "sm4gcm": 16}  # name -> key length in bytes


class Sealed(str):
    """A value an ``EncryptedCharField`` has already sealed for its own column (``field.seal``):
    written as it is, never sealed twice. A staged import carries its ID numbers this way, so the
    file's numbers are encrypted once, in the check, and the import copies the ciphertext."""


class DecryptionError(Exception):
    """A stored value that no configured key opens (wrong key, tampered, or not encrypted)."""


@dataclass(frozen=True)
class Key:
    kid: str
    algorithm: str
    secret: bytes

    @classmethod
    def parse(cls, text: str) -> Key:
        """``<id>:<algorithm>:<base64 key>``, as ``rotate_keys --generate`` prints it."""
        try:
            kid, algorithm, b64 = text.strip().split(":", 2)
            secret = base64.urlsafe_b64decode(b64)
        except ValueError:
            raise ImproperlyConfigured(
                "加密密钥格式应为 <编号>:<算法>:<base64 密钥>（key format: id:algorithm:base64）。"
            ) from None
        if algorithm not in ALGORITHMS or len(secret) != ALGORITHMS[algorithm]:
            raise ImproperlyConfigured(
                f"加密密钥 {kid}：算法应为 aes256gcm（32 字节）或 sm4gcm（16 字节）。"
            )
        if not kid.isalnum():
            raise ImproperlyConfigured(f"加密密钥编号“{kid}”只能由字母和数字组成。")
        return cls(kid, algorithm, secret)

    @classmethod
    def generate(cls, kid: str, algorithm: str = "aes256gcm") -> str:
        secret = secrets.token_bytes(ALGORITHMS[algorithm])
        return f"{kid}:{algorithm}:{base64.urlsafe_b64encode(secret).decode()}"

    def seal(self, data: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        if self.algorithm == "aes256gcm":
            return nonce + _aes(self.secret).encrypt(nonce, data, aad)
        enc = Cipher(algorithms.SM4(self.secret), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        body = enc.update(data) + enc.finalize()
        return nonce + body + enc.tag

    def open(self, blob: bytes, aad: bytes) -> bytes:
        nonce, body = blob[:NONCE], blob[NONCE:]
        if self.algorithm == "aes256gcm":
            return _aes(self.secret).decrypt(nonce, body, aad)
        dec = Cipher(algorithms.SM4(self.secret), modes.GCM(nonce, body[-TAG:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(body[:-TAG]) + dec.finalize()


@cache
def _aes(secret: bytes) -> AESGCM:
    return AESGCM(secret)


class Keyring:
    """The configured keys: the first encryption key seals, any of them opens."""

    def __init__(self, keys: list[Key], index_key: bytes) -> None:
        if not keys or not index_key:
            raise ImproperlyConfigured(
                "Keyring needs at least one encryption key and an index key."
            )
        self.current = keys[0]
        self.by_id = {k.kid: k for k in keys}
        self.index_key = index_key
        self._blinded: dict[tuple[str, bytes], str] = {}  # an import asks for each number 2-3 times

    def encrypt(self, text: str, aad: bytes) -> str:
        blob = self.current.seal(text.encode(), aad)
        return f"{PREFIX}{self.current.kid}:{base64.urlsafe_b64encode(blob).decode()}"

    def decrypt(self, token: str, aad: bytes) -> str:
        if not token.startswith(PREFIX):
            raise DecryptionError("not an encrypted value")
        kid, _, b64 = token[len(PREFIX) :].partition(":")
        key = self.by_id.get(kid)
        if key is None:
            raise DecryptionError(f"no key {kid!r} configured")
        try:
            return key.open(base64.urlsafe_b64decode(b64), aad).decode()
        except (InvalidTag, ValueError) as exc:
            raise DecryptionError(f"value does not open with key {kid!r}") from exc

    def key_id_of(self, token: str) -> str:
        return token[len(PREFIX) :].partition(":")[0]

    def blind(self, value: str, purpose: bytes) -> str:
        key = (value, purpose)
        found = self._blinded.get(key)
        if found is None:
            if len(self._blinded) >= 20_000:
                self._blinded.clear()
            # HMAC-SHA256 cut to 128 bits (no collision in any registry's lifetime), 22 characters:
            # a short key keeps the unique index small and its lookups fast
            digest = hmac.digest(self.index_key, purpose + b"\0" + value.encode(), "sha256")
            found = base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
            self._blinded[key] = found
        return found


def _configured() -> tuple[list[str], str]:
    keys: list[str] = list(getattr(settings, "FIELD_ENCRYPTION_KEYS", []) or [])
    index = getattr(settings, "BLIND_INDEX_KEY", "") or ""
    path = getattr(settings, "PORTAL_KEY_FILE", "") or ""
    if path and not (keys and index):
        data = _read_key_file(Path(path), create=getattr(settings, "PORTAL_KEY_FILE_CREATE", False))
        keys = keys or list(data.get("encryption", []))
        index = index or data.get("blind_index", "")
    if not keys or not index:
        raise ImproperlyConfigured(
            "没有配置加密密钥：请设置 FIELD_ENCRYPTION_KEYS 与 BLIND_INDEX_KEY，或 PORTAL_KEY_FILE"
            "（见 docs/security.md；manage.py rotate_keys --generate 生成）。"
        )
    return keys, index


def _read_key_file(path: Path, *, create: bool) -> dict[str, Any]:
    """Read the key file; in development create it (mode 0600) the first time, atomically, so that
    runserver, the worker and beat started together all end up with the same keys."""
    if not path.exists() and create:
        path.parent.mkdir(parents=True, exist_ok=True)
        body = new_key_file()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(body)
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ImproperlyConfigured(f"无法读取密钥文件 {path}：{exc}") from exc
    return data


@cache
def keyring() -> Keyring:
    keys, index = _configured()
    return Keyring([Key.parse(k) for k in keys], base64.urlsafe_b64decode(index))


def reset() -> None:
    """Forget the loaded keys (tests that change the settings; the rotation command)."""
    keyring.cache_clear()


# --- model fields ---------------------------------------------------------------------------


class _EmptyOnlyExact(Exact):
    """``field=""`` (no value yet) is the one equality an encrypted column can answer."""

    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: look it up through its blind index."
            )
        return super().get_prep_lookup()


class EncryptedCharField(models.CharField):  # type: ignore[type-arg]
    """A short text stored encrypted; reads back as the text. "" stays "" (nothing to hide).

    ``mask`` says how the value may be shown in the audit trail's field diffs."""

    description = "Encrypted text"

    def __init__(self, *args: Any, mask: Callable[[str], str] | None = None, **kwargs: Any) -> None:
        self.mask = mask
        self.plain_max_length = kwargs.pop("plain_max_length", None) or kwargs.get("max_length")
        kwargs["max_length"] = 255  # room for the nonce, the tag and base64
        super().__init__(*args, **kwargs)
        if self.plain_max_length:  # the text itself keeps its own length
            self.validators.append(MaxLengthValidator(self.plain_max_length))

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["plain_max_length"] = self.plain_max_length
        kwargs.pop("max_length", None)
        return name, path, args, kwargs

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        # the column's identity as associated data; a history table shares its model's
        label = cls._meta.label_lower.replace(".historical", ".")
        self.aad = f"{label}.{name}".encode()

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name == "exact":
            return _EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def encrypt(self, value: str | None) -> str | None:
        if value in (None, "") or isinstance(value, Sealed):
            return value
        return keyring().encrypt(str(value), self.aad)

    def seal(self, value: str) -> Sealed:
        """``value`` sealed for this column, to be written later as it is."""
        return Sealed(keyring().encrypt(value, self.aad))

    def get_prep_value(self, value: Any) -> Any:
        return self.encrypt(super().get_prep_value(value))

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value in (None, ""):
            return value
        return keyring().decrypt(value, self.aad)

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("max_length", self.plain_max_length)
        return super().formfield(**kwargs)


class DerivedField(models.CharField):  # type: ignore[type-arg]
    """A column computed from another field of the row (``source``) by ``of``: kept current on every
    save (``pre_save``), bulk_create included; raw inserts (``core.rows.insert_rows``) fill it
    through ``prepare_rows``. An empty source gives the field's default."""

    fixed_kwargs: tuple[str, ...] = ("max_length", "editable")

    def __init__(self, *args: Any, source: str = "", **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        for key in self.fixed_kwargs:
            kwargs.pop(key, None)
        return name, path, args, kwargs

    def of(self, value: str) -> str:  # pragma: no cover - each kind says how
        raise NotImplementedError

    def pre_save(self, model_instance: Any, add: bool) -> Any:
        source = getattr(model_instance, self.source)
        value = self.of(source) if source else self.get_default()
        setattr(model_instance, self.attname, value)
        return value


class BlindIndexField(DerivedField):
    """HMAC-SHA256 of another field's value: what exact lookups and uniqueness use."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["max_length"] = 22
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls: Any, name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        label = cls._meta.label_lower.replace(".historical", ".")
        self.purpose = f"{label}.{self.source}".encode()

    def of(self, value: str) -> str:
        return keyring().blind(value, self.purpose)


class TailField(DerivedField):
    """The last ``length`` characters of an encrypted field, in clear: exactly what the masked
    form already shows on every list (``1501**********1034``), so that a reviewer can search by it."""

    fixed_kwargs = ("max_length", "editable", "blank", "default")

    def __init__(self, *args: Any, length: int = 4, **kwargs: Any) -> None:
        self.length = length
        kwargs["max_length"] = length
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["length"] = self.length
        return name, path, args, kwargs

    def of(self, value: str) -> str:
        return value[-self.length :].upper()


def blind_index(model: Any, value: str, field: str = "id_index") -> str:
    """The index value to look ``value`` up by (``Person.objects.filter(id_index=...)``)."""
    index: BlindIndexField = model._meta.get_field(field)
    return index.of(value)


def prepare_rows(
    model: Any, columns: list[str], rows: list[list[Any]]
) -> tuple[list[str], list[list[Any]]]:
    """For raw inserts: seal the encrypted columns and add the blind indexes of their sources."""
    fields = {f.attname: f for f in model._meta.concrete_fields}
    sealed = [i for i, c in enumerate(columns) if isinstance(fields.get(c), EncryptedCharField)]
    indexes = [
        (f.attname, columns.index(f.source))
        for f in fields.values()
        if isinstance(f, DerivedField) and f.source in columns and f.attname not in columns
    ]
    if not sealed and not indexes:
        return columns, rows
    out = []
    for row in rows:
        row = list(row)
        if any(isinstance(row[at], Sealed) for _, at in indexes):
            raise ValueError("a sealed value brings its own indexes: give their columns too")
        extra = [
            fields[name].of(row[at]) if row[at] else fields[name].get_default()  # type: ignore[attr-defined]
            for name, at in indexes
        ]
        for i in sealed:
            row[i] = fields[columns[i]].encrypt(row[i])  # type: ignore[attr-defined]
        out.append(row + extra)
    return columns + [name for name, _ in indexes], out


# --- migrations -----------------------------------------------------------------------------


def seal_column(
    schema_editor: Any,
    table: str,
    column: str,
    *,
    label: str,
    pk: str = "id",
    index_column: str | None = None,
) -> int:
    """Encrypt a column's clear values in place (and fill its blind index): the migration that
    brings encryption to an existing database. ``label`` is the model's ``app.model``; values
    already sealed are left alone, so running it twice is harmless. Returns the rows sealed."""
    ring = keyring()
    aad = f"{label}.{column}".encode()
    conn = schema_editor.connection
    q = conn.ops.quote_name
    with conn.cursor() as cursor:
        cursor.execute(
            f"SELECT {q(pk)}, {q(column)} FROM {q(table)} "  # noqa: S608 (names only)
            f"WHERE {q(column)} <> '' AND {q(column)} NOT LIKE 'e1:%%'"
        )
        rows = cursor.fetchall()
        sets = f"{q(column)} = %s" + (f", {q(index_column)} = %s" if index_column else "")
        params = []
        for key, clear in rows:
            values = [ring.encrypt(clear, aad)]
            if index_column:
                values.append(ring.blind(clear, aad))
            params.append([*values, key])
        cursor.executemany(f"UPDATE {q(table)} SET {sets} WHERE {q(pk)} = %s", params)  # noqa: S608
    return len(rows)


def new_key_file() -> str:
    """The JSON of a new key file: one AES-256-GCM key and an index key."""
    return json.dumps(
        {
            "encryption": [Key.generate("k" + secrets.token_hex(3))],
            "blind_index": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        },
        indent=2,
    )


if __name__ == "__main__":  # python -m core.crypto > keys.json: needs no settings, no database
    print(new_key_file())
