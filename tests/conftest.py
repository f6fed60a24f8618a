"""Fixtures of the whole suite.

Storage tests take the ``backend`` fixture and so run twice: on SQLite and on the machine's real
PostgreSQL (a fresh database per run). Bus tests take ``broker``: kombu's ``memory://`` and the real
RabbitMQ. PostgreSQL, RabbitMQ and Redis are required: when one is down the run stops with an error.
"""

from __future__ import annotations

import uuid

import pytest

from posmodern.core.config import Settings
from support import services
from support.settings import make_settings


def pytest_sessionstart(session: pytest.Session) -> None:
    missing = services.missing_services()
    if missing:
        pytest.exit("required services are not running: " + ", ".join(missing)
                    + " (start them, see README 'Tests')", returncode=3)


@pytest.fixture(scope="session")
def pg_url():
    url = services.create_database()
    yield url
    services.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'var' / 'pos.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture(params=["memory", "rabbitmq"])
def broker(request) -> str:
    return "memory://" if request.param == "memory" else services.AMQP_URL


@pytest.fixture
def exchange() -> str:
    return f"posmodern.test.{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings(database_url, tmp_path, exchange) -> Settings:
    return make_settings(database_url, tmp_path, exchange=exchange)
