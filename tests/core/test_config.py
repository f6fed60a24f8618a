from pathlib import Path

import pytest

from posmodern.core.config import DEV_SECRET_KEY, Settings
from posmodern.core.errors import ConfigError


def test_nothing_set_means_embedded(tmp_path):
    settings = Settings.from_env({"POS_DATA_DIR": str(tmp_path)})
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'pos.db'}"
    assert settings.broker_url == "memory://"
    assert settings.redis_url is None
    assert settings.auto_migrate is True
    assert settings.env == "development"


def test_seed_variable_names_build_urls():
    settings = Settings.from_env({
        "DB_HOST": "postgres", "DB_PORT": "5433", "DB_USER": "pos_user", "DB_PASSWORD": "p@ss",
        "DB_NAME": "pos_modern", "RABBITMQ_HOST": "rabbitmq", "RABBITMQ_USER": "u",
        "RABBITMQ_PASSWORD": "s/cret", "REDIS_HOST": "redis", "REDIS_PASSWORD": "r",
    })
    assert settings.database_url == "postgresql+asyncpg://pos_user:p%40ss@postgres:5433/pos_modern"
    assert settings.broker_url == "amqp://u:s%2Fcret@rabbitmq:5672/%2F"
    assert settings.redis_url == "redis://:r@redis:6379/0"
    assert settings.auto_migrate is False


def test_one_url_each_and_driver_normalised():
    settings = Settings.from_env({"DATABASE_URL": "postgres://a@h/db", "BROKER_URL": "amqp://h//",
                                  "REDIS_URL": "redis://h:1/2"})
    assert settings.database_url == "postgresql+asyncpg://a@h/db"
    assert settings.broker_url == "amqp://h//"
    assert settings.redis_url == "redis://h:1/2"


def test_secrets_from_files(tmp_path: Path):
    (tmp_path / "db").write_text("from-file\n")
    settings = Settings.from_env({"DB_HOST": "h", "DB_PASSWORD_FILE": str(tmp_path / "db")})
    assert ":from-file@" in settings.database_url
    with pytest.raises(ConfigError, match="cannot be read"):
        Settings.from_env({"POS_SECRET_KEY_FILE": str(tmp_path / "missing")})


STRONG = "q7Vb2-LxW9pR4tZk8mNc3HsY6gJd1FaE5uTo0iKe"


def test_production_refuses_default_secrets():
    with pytest.raises(ConfigError, match="POS_SECRET_KEY"):
        Settings.from_env({"POS_ENV": "production"})
    with pytest.raises(ConfigError, match="POS_DATA_KEY"):
        Settings.from_env({"POS_ENV": "production", "POS_SECRET_KEY": STRONG})
    ok = Settings.from_env({"POS_ENV": "production", "POS_SECRET_KEY": STRONG,
                            "POS_DATA_KEY": STRONG[::-1]})
    assert ok.is_production and ok.secret_key != DEV_SECRET_KEY


def test_plugin_subset_and_bad_values():
    assert Settings.from_env({"POS_PLUGINS": "orders, auth"}).plugins == ("orders", "auth")
    with pytest.raises(ConfigError, match="POS_ENV"):
        Settings.from_env({"POS_ENV": "staging"})
    with pytest.raises(ConfigError, match="POS_TOKEN_TTL"):
        Settings.from_env({"POS_TOKEN_TTL": "soon"})


def test_repr_hides_secrets():
    settings = Settings.from_env({"DATABASE_URL": "postgresql://u:hunter2@h/db",
                                  "POS_SECRET_KEY": "s" * 40, "ASAAS_API_KEY": "live-key"})
    shown = repr(settings)
    assert "hunter2" not in shown and "s" * 40 not in shown and "live-key" not in shown
