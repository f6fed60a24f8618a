"""Fixtures of the whole suite.

Storage tests take the ``backend`` fixture and so run twice: on SQLite and on the machine's real
PostgreSQL (a fresh database per run). Bus tests take ``broker``: kombu's ``memory://`` and the real
RabbitMQ. PostgreSQL, RabbitMQ and Redis are required: when one is down the run stops with an error.
"""

from __future__ import annotations

import os
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Container tests (a real dockerd, image builds) run when POS_TEST_CONTAINERS=1, as `make
    test` and CI set it; a quick `pytest` leaves them out (deselected, not skipped)."""
    if os.environ.get("POS_TEST_CONTAINERS") == "1":
        return
    kept = [item for item in items if "containers" not in item.keywords]
    dropped = [item for item in items if "containers" in item.keywords]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def docker_engine():
    """A Docker engine for the session (started here, and stopped again, if none is running)."""
    from support.docker import Engine

    engine = Engine()
    yield engine
    engine.stop()


@pytest.fixture(scope="session")
def debian_base_image(docker_engine) -> str:
    """A Debian bookworm base image imported from a debootstrap tarball (no registry needed)."""
    from support.docker import base_image

    return base_image(docker_engine.client)


#: The session's PostgreSQL database, once a test asked for it.
_session_pg: list[str] = []


@pytest.fixture(scope="session")
def pg_url():
    url = services.create_database()
    _session_pg.append(url)
    yield url
    _session_pg.clear()
    services.drop_database(url)


@pytest.fixture(autouse=True)
def _tenants_dropped_after_the_test():
    """The PostgreSQL tests share one database: the tenants a test made are dropped after it.
    Otherwise every later app's background tasks (fiscal sender, print spool, pollers, relay)
    went on working for earlier tests' tenants — notes still due to a fake SEFAZ long gone —
    and the catalogs grew, so each PostgreSQL test ran slower than the one before."""
    before = services.tenant_ids(_session_pg[0]) if _session_pg else set()
    yield
    if _session_pg:
        services.drop_tenants(_session_pg[0], keep=before)


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
