"""The signing and data keys: made per installation when none is given, and judged.

With no ``POS_SECRET_KEY`` / ``POS_DATA_KEY`` set, a development installation gets random keys
of its own, kept in ``$POS_DATA_DIR/installation-keys.json`` (readable by its owner only) so they
survive restarts: a key written in the source would let anyone sign a token as any tenant's
admin. An installation that already has a database from before keeps the former development
data key (its sealed CPFs stay readable) and gets a random signing key.

Keys known to the world (the source's, the committed ``deploy/secrets/dev`` files') and weak
ones are what production refuses (:meth:`posmodern.core.config.Settings.check`).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import secrets
from collections import Counter
from pathlib import Path

KEYS_FILE = "installation-keys.json"
MIN_LENGTH = 32
MIN_DISTINCT = 10
MIN_BITS = 100
#: SHA-256 of the values committed in deploy/secrets/dev (a test keeps this in step): known to
#: anyone with the source, so no key of a production installation may be one of them.
COMMITTED_DEV_SECRETS = frozenset({
    "d250b20bd1a8bb10e0f8b9e42db8ce662596655a571c4aecdda92fc5eb8bece5",
    "92a9ce84a3c9f7d5501839481c29aac785dafb7a47560144077e57141e972904",
    "21ce0d1c25972301735c326f4147c22941774162064a22e2e721140c423e4ea3",
    "2814d43f6b46b1c4705b2f96b15c9ff407a6cf16ead7206cc5e155b0abea11fe",
    "587d60cb061c07a45a0e0035d2b61c212d67c9d25801ed2bd9ca51175bc6cae4",
    "2f5495bfc6a6833235e692923f767011d0e5342be0b73e8672ea8db238693f2e",
})
_PLACEHOLDERS = ("change-me", "changeme", "change_me", "not-a-secret", "dev-only", "example",
                 "placeholder", "your-secret", "secret-key", "password")


def digest(value: str) -> str:
    return hashlib.sha256(value.strip().encode()).hexdigest()


def is_committed(value: str) -> bool:
    """Whether ``value`` is one of the secrets committed in ``deploy/secrets/dev``."""
    return digest(value) in COMMITTED_DEV_SECRETS


def weakness(value: str) -> str | None:
    """Why ``value`` is too weak to sign tokens or seal data in production, or None."""
    if len(value) < MIN_LENGTH:
        return f"shorter than {MIN_LENGTH} characters"
    lowered = value.lower()
    if any(word in lowered for word in _PLACEHOLDERS):
        return "a placeholder, not a secret"
    if any(value == (value[:period] * len(value))[:len(value)]
           for period in range(1, len(value) // 2 + 1)):
        return "a short pattern repeated"
    counts = Counter(value)
    bits = -sum(n * math.log2(n / len(value)) for n in counts.values())
    if len(counts) < MIN_DISTINCT or bits < MIN_BITS:
        return ("too predictable (too few distinct characters); make one with "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`")
    return None


def installation_keys(data_dir: Path, legacy_data_key: str) -> tuple[str, str]:
    """The installation's (signing key, data key), made on first use."""
    path = data_dir / KEYS_FILE
    if not path.exists():
        _create(path, legacy_data_key)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    keys = json.loads(path.read_text(encoding="utf-8"))
    return keys["secret_key"], keys["data_key"]


def _create(path: Path, legacy_data_key: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # Data sealed before this file existed was sealed with the former development key.
    had_data = (path.parent / "pos.db").exists()
    keys = {"secret_key": secrets.token_urlsafe(48),
            "data_key": legacy_data_key if had_data else secrets.token_urlsafe(48)}
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(keys, out)
            out.flush()
            os.fsync(out.fileno())
        # A link fails if the file exists: of two processes starting at once, the first wins
        # and both use its keys.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink(missing_ok=True)
