import time

import jwt
import pytest

from posmodern.core.api import Principal
from posmodern.core.config import Settings
from posmodern.core.errors import Unauthorized, ValidationFailed
from posmodern.core.security import (check_roles, decode_token, hash_password, issue_token,
                                     verify_password)

SETTINGS = Settings.from_env({"POS_SECRET_KEY": "k" * 40})
ALICE = Principal("u1", "alice", "acme", "store-1", frozenset({"cashier"}))


def test_password_hashes_are_argon2_and_salted():
    first, second = hash_password("s3cret-pass"), hash_password("s3cret-pass")
    assert first.startswith("$argon2id$") and first != second
    assert verify_password(first, "s3cret-pass")
    assert not verify_password(first, "wrong")
    assert not verify_password("not-a-hash", "s3cret-pass")


def test_token_carries_client_store_and_roles():
    token, ttl = issue_token(SETTINGS, ALICE)
    assert ttl == SETTINGS.token_ttl_seconds
    assert decode_token(SETTINGS, token) == ALICE


def test_tampered_foreign_or_expired_tokens_are_refused():
    token, _ = issue_token(SETTINGS, ALICE)
    other = Settings.from_env({"POS_SECRET_KEY": "o" * 40})
    with pytest.raises(Unauthorized):
        decode_token(other, token)
    forged = jwt.encode({**jwt.decode(token, options={"verify_signature": False}), "cid": "evil"},
                        "a-guessed-key-that-is-long-enough-0123", algorithm="HS256")
    with pytest.raises(Unauthorized):
        decode_token(SETTINGS, forged)
    expired = jwt.encode({"iss": "posmodern", "sub": "u1", "cid": "acme", "sid": "s", "roles": [],
                          "iat": int(time.time()) - 100, "exp": int(time.time()) - 10},
                         SETTINGS.secret_key, algorithm="HS256")
    with pytest.raises(Unauthorized, match="expired"):
        decode_token(SETTINGS, expired)
    with pytest.raises(Unauthorized):
        decode_token(SETTINGS, "not.a.token")


def test_roles_must_be_known():
    assert check_roles(["waiter", "cashier", "waiter"]) == ["cashier", "waiter"]
    with pytest.raises(ValidationFailed):
        check_roles(["chef"])
    with pytest.raises(ValidationFailed):
        check_roles([])


def test_usernames_are_folded_and_may_not_mix_alphabets():
    from posmodern.core.credentials import check_username, fold_username

    assert fold_username("  Maria ") == fold_username("MARIA") == fold_username("ｍａｒｉａ") \
        == "maria"
    assert check_username("João.Silva") == "joão.silva"
    assert check_username("caixa-2@loja") == "caixa-2@loja"
    assert check_username("ひらがなカタカナ漢字") == "ひらがなカタカナ漢字"
    with pytest.raises(ValidationFailed, match="mixes alphabets") as mixed:
        check_username("m\u0430ria")  # a Cyrillic 'а' among Latin letters
    assert mixed.value.details == {"scripts": ["CYRILLIC", "LATIN"]}
    for bad in ("", "   ", "x" * 101, "ana\u200blima", "ana\tlima"):
        with pytest.raises(ValidationFailed):
            check_username(bad)


def test_common_short_and_username_passwords_are_refused():
    from posmodern.core.credentials import check_password, common_passwords

    assert {"123456", "password", "senha123"} <= common_passwords()
    assert len(common_passwords()) >= 300
    for weak in ("senha123", "PASSWORD123", "  Senha@123  ", "short", "Maria.Lima"):
        with pytest.raises(ValidationFailed) as refused:
            check_password(weak, "maria.lima")
        assert refused.value.code == "weak_password"
    assert check_password("  caixa-da-tarde-7  ", "maria.lima") == "caixa-da-tarde-7"
