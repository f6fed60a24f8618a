"""A process started while PostgreSQL cannot serve waits for it instead of exiting (issue 12):
under `pos serve --workers N` a worker that exited at start would end the whole service (uvicorn
stops every worker when one fails to start), which the fault suite saw when a killed worker came
back during a PostgreSQL restart. On a private cluster (the machine's shared one is never
stopped)."""

from __future__ import annotations

import shutil
import time

import httpx
import pytest

from support.api import Api, make_tenant
from support.private_services import PrivatePostgres, private_root
from support.server import Server
from support.settings import make_settings


@pytest.mark.faults
@pytest.mark.timeout(300)
def test_a_process_started_with_the_database_down_waits_for_it_and_serves(tmp_path):
    root = private_root("pos-db-down-")
    postgres = PrivatePostgres(root)
    server = None
    try:
        postgres.start()
        settings = make_settings(postgres.create_database(), tmp_path)
        tenant = make_tenant(settings, roles=("admin",))
        postgres.stop()

        env = {"DATABASE_URL": settings.database_url, "POS_DATA_DIR": str(settings.data_dir),
               "BROKER_URL": "memory://", "POS_PLUGINS": "auth,catalog",
               "POS_AUTO_MIGRATE": "true", "POS_LOG_FORMAT": "text"}
        server = Server(env, cwd=tmp_path)
        time.sleep(5)
        assert server.process.poll() is None, server.log()  # still waiting, not gone
        assert "the database cannot serve yet" in server.log()

        postgres.start()
        server.wait_healthy(90)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            api = Api(client, tenant)
            made = api.post("/api/v1/products", json={"name": "Coxinha", "price": "7.50"})
            assert made.status_code == 201, made.text
            assert [p["name"] for p in api.get("/api/v1/products").json()["items"]] == ["Coxinha"]
    finally:
        if server is not None:
            server.stop()
        postgres.close()
        shutil.rmtree(root, ignore_errors=True)
