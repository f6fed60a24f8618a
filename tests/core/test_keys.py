"""Keys: random per installation when none is given, kept across restarts; development keys
stay off the network; production refuses weak, shared, committed keys and a bad token TTL."""

import dataclasses
import os
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
import uvicorn
from click.testing import CliRunner
from starlette.testclient import TestClient

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.core import keys
from posmodern.core.config import DEV_DATA_KEY, DEV_SECRET_KEY, Settings
from posmodern.core.errors import ConfigError
from posmodern.hosts.app import create_app
from posmodern.schema.types import utcnow
from support.api import Api, assert_error, make_tenant
from support.settings import make_settings

DEV_SECRETS = Path(__file__).resolve().parents[2] / "deploy" / "secrets" / "dev"
STRONG = "q7Vb2-LxW9pR4tZk8mNc3HsY6gJd1FaE5uTo0iKe"


def test_a_token_forged_with_the_source_key_is_refused(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path)
    assert settings.secret_key != DEV_SECRET_KEY and settings.installation_keys
    with TestClient(create_app(settings, plugins=["auth"])) as client:
        api = Api(client, make_tenant(settings, roles=("admin",)))
        me = api.get("/api/v1/auth/me").json()
        now = utcnow()
        forged = jwt.encode({"iss": "posmodern", "sub": me["user_id"], "name": "admin",
                             "cid": api.tenant.client_id, "sid": me["store_id"],
                             "roles": ["admin"], "iat": now, "ver": 0,
                             "exp": now + timedelta(hours=1)}, DEV_SECRET_KEY, algorithm="HS256")
        assert_error(client.get("/api/v1/auth/users",
                                headers={"Authorization": f"Bearer {forged}"}), 401,
                     "invalid_token")


def test_installation_keys_are_random_private_and_kept(tmp_path):
    first = Settings.from_env({"POS_DATA_DIR": str(tmp_path / "a")})
    again = Settings.from_env({"POS_DATA_DIR": str(tmp_path / "a")})
    other = Settings.from_env({"POS_DATA_DIR": str(tmp_path / "b")})
    assert (first.secret_key, first.data_key) == (again.secret_key, again.data_key)
    assert first.secret_key != other.secret_key and first.data_key != other.data_key
    assert first.secret_key != first.data_key and keys.weakness(first.secret_key) is None
    assert (tmp_path / "a" / keys.KEYS_FILE).stat().st_mode & 0o777 == 0o600
    given = Settings.from_env({"POS_DATA_DIR": str(tmp_path / "a"), "POS_SECRET_KEY": STRONG,
                               "POS_DATA_KEY": STRONG[::-1]})
    assert not given.installation_keys and not given.development_keys


def test_an_installation_with_data_from_before_keeps_its_data_key(tmp_path):
    (tmp_path / "pos.db").touch()
    settings = Settings.from_env({"POS_DATA_DIR": str(tmp_path)})
    assert settings.data_key == DEV_DATA_KEY  # its sealed CPFs stay readable
    assert settings.secret_key != DEV_SECRET_KEY


def test_production_refuses_weak_shared_and_committed_keys():
    base = {"POS_ENV": "production", "POS_SECRET_KEY": STRONG, "POS_DATA_KEY": STRONG[::-1]}
    assert Settings.from_env(base).is_production
    committed = {path.name: path.read_text().strip() for path in DEV_SECRETS.iterdir()}
    for bad, why in ((("a" * 40), "too weak"), ("ab" * 20, "too weak"),
                     ("0123456789" * 4, "too weak"), (STRONG[:20], "too weak"),
                     ("please-change-me-before-going-live-00000", "too weak"),
                     (committed["pos_secret_key"], "committed"),
                     (committed["pos_data_key"], "committed"),
                     (committed["postgres_password"], "committed"),
                     (DEV_SECRET_KEY, "must be set")):
        for name in ("POS_SECRET_KEY", "POS_DATA_KEY"):
            with pytest.raises(ConfigError, match=f"{name}.*{why}|{name} must be set"):
                Settings.from_env({**base, name: bad})
    with pytest.raises(ConfigError, match="must differ"):
        Settings.from_env({**base, "POS_DATA_KEY": STRONG})
    with pytest.raises(ConfigError, match="POS_SECRET_KEY must be set"):
        Settings.from_env({"POS_ENV": "production", "POS_DATA_KEY": STRONG})
    for ttl in (0, -5):
        with pytest.raises(ConfigError, match="POS_TOKEN_TTL"):
            Settings.from_env(base, token_ttl_seconds=ttl)
        with pytest.raises(ConfigError, match="POS_TOKEN_TTL"):
            dataclasses.replace(Settings.from_env(base), token_ttl_seconds=ttl).check()


def test_the_committed_development_secrets_are_all_known():
    values = [path.read_text().strip() for path in DEV_SECRETS.iterdir()]
    assert {keys.digest(v) for v in values if v} == keys.COMMITTED_DEV_SECRETS


@pytest.fixture
def serve(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: started.append(kwargs))
    for name in ("POS_SECRET_KEY", "POS_DATA_KEY", "POS_ENV", "POS_ALLOW_DEV_KEYS_ON_NETWORK"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POS_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("POS_PLUGINS", "auth")

    def invoke(*args, **env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        result = CliRunner().invoke(cli, ["serve", *args], catch_exceptions=False)
        return result, started
    return invoke


def test_development_keys_stay_on_loopback(serve):
    for host in ("0.0.0.0", "192.168.0.10", "::", "pos.example.com"):
        result, started = serve("--host", host)
        assert result.exit_code == 2 and "development keys" in result.output, result.output
        assert not started
    for host in ("127.0.0.1", "localhost", "::1"):
        result, started = serve("--host", host)
        assert result.exit_code == 0, result.output
        assert started[-1]["host"] == host
    result, started = serve("--host", "0.0.0.0", "--allow-dev-keys-on-network")
    assert result.exit_code == 0 and started[-1]["host"] == "0.0.0.0"


def test_network_binds_with_allowance_or_own_keys(serve):
    result, started = serve("--host", "0.0.0.0", POS_ALLOW_DEV_KEYS_ON_NETWORK="true")
    assert result.exit_code == 0 and started[-1]["host"] == "0.0.0.0"
    os.environ.pop("POS_ALLOW_DEV_KEYS_ON_NETWORK")
    committed = (DEV_SECRETS / "pos_secret_key").read_text().strip()
    result, _ = serve("--host", "0.0.0.0", POS_SECRET_KEY=committed, POS_DATA_KEY=STRONG)
    assert result.exit_code == 2
    result, started = serve("--host", "0.0.0.0", POS_SECRET_KEY=STRONG, POS_DATA_KEY=STRONG[::-1])
    assert result.exit_code == 0 and started[-1]["host"] == "0.0.0.0"
