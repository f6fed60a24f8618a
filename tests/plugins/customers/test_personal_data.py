"""LGPD: a customer's data exported (JSON) and erased — anonymised, their orders kept without
personal data — audited, through the API and the CLI, on both backends."""

import json

from click.testing import CliRunner
from sqlalchemy import select

from posmodern.cli import commands  # noqa: F401 - registers the commands
from posmodern.cli.main import cli
from posmodern.schema.tables import audit_log, customers, orders
from support.api import assert_error
from support.menu import order_body
from support.tenant_db import fetch

ANA = {"name": "Ana Souza", "email": "ana@example.com.br", "phone": "11987654321",
       "document_number": "529.982.247-25", "address": {"city": "São Paulo"}}


def _customer_with_order(staff, menu):
    ana = staff.post("/api/v1/customers", "cashier", json=ANA).json()
    made = staff.post("/api/v1/orders", "cashier", headers={"Idempotency-Key": "lgpd-1"},
                      json=order_body(menu, ("X-Burger", "1"), customer_id=ana["customer_id"],
                                      notes="entregar para Ana, apto 12"))
    assert made.status_code == 201, made.text
    return ana, made.json()


def test_export_then_erase_through_the_api(staff, menu, settings):
    ana, order = _customer_with_order(staff, menu)
    path = f"/api/v1/customers/{ana['customer_id']}"
    assert_error(staff.get(path + "/personal-data", "cashier"), 403)
    exported = staff.get(path + "/personal-data", "manager")
    assert exported.status_code == 200, exported.text
    document = exported.json()
    assert document["customer"]["document_number"] == "52998224725"
    assert document["customer"]["email"] == "ana@example.com.br"
    assert [o["order_id"] for o in document["orders"]] == [order["order_id"]]
    assert document["orders"][0]["items"][0]["product_name"] == "X-Burger"

    erased = staff.post(path + "/erase", "manager")
    assert erased.status_code == 200, erased.text
    assert erased.json()["changed"]["customers"] == 1
    row = fetch(settings, staff.tenant.client_id, select(customers))[0]
    assert (row.email, row.phone, row.document_number, row.address) == (None, None, None, None)
    assert "Ana" not in row.name
    kept = fetch(settings, staff.tenant.client_id, select(orders))[0]
    assert str(kept.order_id) == order["order_id"] and str(kept.total) == "26.90"
    assert kept.notes is None and str(kept.customer_id) == ana["customer_id"]
    # Found no more by what identified her.
    assert staff.get("/api/v1/customers?phone=11987654321").json()["items"] == []
    actions = [(r.action, r.username) for r in fetch(
        settings, staff.tenant.client_id,
        select(audit_log.c.action, audit_log.c.username, audit_log.c.details)
        .where(audit_log.c.resource_type == "customer").order_by(audit_log.c.seq))]
    assert actions[-2:] == [("customer.personal_data_exported", "manager"),
                            ("customer.erased", "manager")]
    details = fetch(settings, staff.tenant.client_id, select(audit_log.c.details)
                    .where(audit_log.c.action == "customer.erased"))[0].details
    assert "Ana" not in json.dumps(details) and "529" not in json.dumps(details)
    missing = "/api/v1/customers/00000000-0000-0000-0000-000000000001"
    assert_error(staff.get(missing + "/personal-data"), 404, "customer_not_found")
    assert_error(staff.post(missing + "/erase"), 404, "customer_not_found")


def test_export_and_erase_through_the_cli(staff, menu, settings, monkeypatch, tmp_path):
    ana, _ = _customer_with_order(staff, menu)
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("POS_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("POS_DATA_KEY", settings.data_key)
    runner = CliRunner()
    where = ["--client", staff.tenant.client_id, "--store", staff.tenant.store_id,
             "--customer", ana["customer_id"]]
    target = tmp_path / "ana.json"
    done = runner.invoke(cli, ["customers", "export", *where, "--to", str(target)])
    assert done.exit_code == 0, done.output
    assert json.loads(target.read_text())["customer"]["name"] == "Ana Souza"
    erased = runner.invoke(cli, ["customers", "erase", *where, "--yes"])
    assert erased.exit_code == 0, erased.output
    assert "customers 1" in erased.output
    assert fetch(settings, staff.tenant.client_id, select(customers.c.email))[0].email is None
    bad = runner.invoke(cli, ["customers", "erase", *where[:4], "--customer", "nope", "--yes"])
    assert bad.exit_code == 2 and "not a UUID" in bad.output

    folder = tmp_path / "tenant"
    exported = runner.invoke(cli, ["tenant", "export", staff.tenant.client_id, "--to",
                                   str(folder)])
    assert exported.exit_code == 0, exported.output
    lines = (folder / "orders.jsonl").read_text().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["total"] in ("26.90", 26.9)
