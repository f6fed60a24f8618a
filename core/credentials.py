"""What a username and a password may be, and the one form each is compared in.

Part of :mod:`posmodern.core.security`. A username is compared NFKC-normalised and case-folded
(``"Maria"``, ``"MARIA"`` and ``"ｍａｒｉａ"`` are one user), and may not mix scripts: a Cyrillic
``а`` in a Latin name looks the same on a till's screen and would be another user. A password
is compared without the spaces around it, at creation and at sign-in alike (a touch keyboard's
stray space would otherwise lock a cashier out), and may not be a common one or the username.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from posmodern.core.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 8
MAX_USERNAME_LENGTH = 100
# Scripts written together in one name (Japanese mixes these three).
_SCRIPT_FAMILIES = {"HIRAGANA": "CJK", "KATAKANA": "CJK", "CJK": "CJK"}


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped deny-list, case-folded."""
    text = (Path(__file__).with_name("common_passwords.txt")).read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines()
                     if line.strip() and not line.startswith("#"))


def fold_username(username: str) -> str:
    """The form a username is stored and looked up in."""
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _script(char: str) -> str:
    name = unicodedata.name(char, "UNKNOWN").split(" ")[0]
    return _SCRIPT_FAMILIES.get(name, name)


def check_username(username: str) -> str:
    """The folded username, or :class:`ValidationFailed` saying what is wrong with it."""
    folded = fold_username(username)
    if not folded or len(folded) > MAX_USERNAME_LENGTH:
        raise ValidationFailed(f"username must be 1-{MAX_USERNAME_LENGTH} characters",
                               code="invalid_username")
    if any(unicodedata.category(c)[0] in "CZ" and c != " " for c in folded):
        raise ValidationFailed("username may not hold control or invisible characters",
                               code="invalid_username")
    scripts = sorted({_script(c) for c in folded if c.isalpha()})
    if len(scripts) > 1:
        raise ValidationFailed(
            "username mixes alphabets (" + ", ".join(s.lower() for s in scripts) + "): letters "
            "that look alike would make it look like another user's", code="invalid_username",
            details={"scripts": scripts})
    return folded


def clean_password(password: str) -> str:
    """The form a password is hashed and checked in."""
    return password.strip()


def check_password(password: str, username: str) -> str:
    """The cleaned password, or :class:`ValidationFailed` if it is too weak to keep."""
    password = clean_password(password)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password must have at least {MIN_PASSWORD_LENGTH} characters",
                               code="weak_password")
    if password.casefold() in common_passwords():
        raise ValidationFailed("this password is among the most common ones; choose another",
                               code="weak_password")
    if password.casefold() == fold_username(username):
        raise ValidationFailed("the password may not be the username", code="weak_password")
    return password
