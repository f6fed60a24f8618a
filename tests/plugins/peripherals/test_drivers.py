"""A printer driver from a third-party package (tests/fixtures/label_printer, found through its
entry point like any plugin): listed, checking its own connection, and fed by the spool, which
waits while the printer is offline and prints the job once when it is back."""

from pathlib import Path

import pytest
from posmodern.hosts.app import create_app
from starlette.testclient import TestClient
from support.api import Api, assert_error, make_tenant
from support.peripherals import add_printer, job, wait_job
from support.tenant_db import wait_for

LABEL_PRINTER = Path(__file__).resolve().parents[2] / "fixtures" / "label_printer"
PRINTERS = "/api/v1/peripherals/printers"
PLUGINS = ["auth", "catalog", "orders", "payments", "peripherals", "label_printer"]


@pytest.fixture
def api(fast_settings, monkeypatch):
    monkeypatch.syspath_prepend(str(LABEL_PRINTER))
    app = create_app(fast_settings, plugins=PLUGINS)
    with TestClient(app) as client:
        yield Api(client, make_tenant(fast_settings))


def test_a_third_party_driver_is_listed_and_checks_its_connection(api):
    listed = api.get("/api/v1/peripherals/drivers", "kitchen").json()["drivers"]
    assert "hot-folder" in {d["name"] for d in listed}
    refused = api.post(PRINTERS, json={"name": "Etiquetas", "driver": "hot-folder",
                                       "role": "etiquetas", "connection": {"folder": "rel"}})
    assert_error(refused, 422, "bad_connection")
    assert api.get(PRINTERS).json()["printers"] == []


def test_the_spool_feeds_a_third_party_driver_once_it_is_back(api, tmp_path):
    folder = tmp_path / "labels"  # not there yet: the printer is offline
    made = add_printer(api, "Etiquetas", driver="hot-folder", role="etiquetas",
                       connection={"folder": str(folder)})
    queued = api.post(f"{PRINTERS}/{made['printer_id']}/test", "manager")
    assert queued.status_code == 202, queued.text

    def tried_twice():
        found = job(api, queued.json()["job_id"])
        return found if found["attempts"] >= 2 else None
    waiting = wait_for(tried_twice)
    assert waiting["status"] in ("queued", "printing") and waiting["last_error"]
    folder.mkdir()
    done = wait_job(api, queued.json()["job_id"])
    assert done["printed_at"] is not None
    printed = [path.read_bytes() for path in folder.iterdir()]
    assert len(printed) == 1 and b"TESTE DE IMPRESS" in printed[0]
    printer = api.get(f"{PRINTERS}/{made['printer_id']}").json()
    assert printer["online"] is True and printer["last_error"] is None
