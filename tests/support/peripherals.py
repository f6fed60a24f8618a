"""Helpers of the peripherals tests: registering a printer, reading a print job."""

from __future__ import annotations

from support.tenant_db import wait_for


def add_printer(api, name="Caixa", role="receipt", driver="escpos-network", connection=None,
                **extra):
    made = api.post("/api/v1/peripherals/printers", json={
        "name": name, "driver": driver, "role": role, "connection": connection, **extra})
    assert made.status_code == 201, made.text
    return made.json()


def job(api, job_id):
    found = api.get(f"/api/v1/peripherals/print-jobs/{job_id}")
    assert found.status_code == 200, found.text
    return found.json()


def wait_job(api, job_id, status="done", timeout=15.0):
    """The job once its status is ``status``."""
    def reached():
        found = job(api, job_id)
        return found if found["status"] == status else None
    return wait_for(reached, timeout=timeout)
