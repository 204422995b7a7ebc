"""Keys of the other systems (a department's, a body's, a hospital's): made once and shown once;
only their SHA-256 is stored, and a request's key is found by its digest."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class NewKey:
    key: str  # shown once to whoever hands it to the other system
    prefix: str  # kept, to tell keys apart in lists
    digest: str  # kept, to find the key again


def new_key() -> NewKey:
    key = secrets.token_urlsafe(32)
    return NewKey(key, key[:8], digest_of(key))


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
