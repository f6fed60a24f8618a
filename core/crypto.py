"""Data encrypted at rest, and found again without decrypting it.

Keys are derived from ``POS_DATA_KEY`` (``settings.data_key``) with HKDF, one per purpose, so a
key leaked for one kind of data opens no other. :func:`seal` encrypts with Fernet (AES-CBC with an
HMAC); :func:`lookup_hash` is a keyed HMAC-SHA256 of a normalized value, stored beside the sealed
one, so an equality lookup needs no decryption and the hash alone reveals nothing without the key.
Changing ``POS_DATA_KEY`` makes what was sealed with the old key unreadable.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from posmodern.core.config import Settings


@lru_cache(maxsize=32)
def _key(data_key: str, purpose: str) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"posmodern-data-key",
                info=f"posmodern:{purpose}".encode())
    return hkdf.derive(data_key.encode())


@lru_cache(maxsize=32)
def _fernet(data_key: str, purpose: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_key(data_key, "seal:" + purpose)))


def seal(settings: Settings, purpose: str, text: str) -> str:
    """``text`` encrypted with the key for ``purpose`` (an ASCII token of about 100 characters)."""
    return _fernet(settings.data_key, purpose).encrypt(text.encode()).decode()


def unseal(settings: Settings, purpose: str, token: str) -> str:
    """The text :func:`seal` sealed; ``ValueError`` if the token was altered or the key changed."""
    try:
        return _fernet(settings.data_key, purpose).decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(f"cannot unseal {purpose}: altered, or sealed with another key") from None


def lookup_hash(settings: Settings, purpose: str, text: str) -> str:
    """A keyed hash of ``text`` (64 hex characters) for equality lookups."""
    key = _key(settings.data_key, "lookup:" + purpose)
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()
