"""Customers over the API: lookups by phone, e-mail and document; the document sealed at rest;
one document per store, also when registrations race."""

import asyncio

import httpx
import pytest
from sqlalchemy import select

from posmodern.core import crypto
from posmodern.core.config import Settings
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log, customers, orders
from support.api import Api, assert_error, make_tenant
from support.menu import create_menu, order_body
from support.tenant_db import counts, fetch

ANA = {"name": "Ana Souza", "email": "Ana.Souza@Example.com.br", "phone": "+55 (11) 98765-4321",
       "document_number": "529.982.247-25", "address": {"city": "São Paulo"}}


def test_register_and_find_by_phone_email_or_document(staff):
    created = staff.post("/api/v1/customers", "cashier", json=ANA)
    assert created.status_code == 201, created.text
    ana = created.json()
    assert ana["email"] == "ana.souza@example.com.br" and ana["phone"] == "11987654321"
    assert ana["document_type"] == "CPF" and ana["document_number"] == "52998224725"
    assert "document_hash" not in ana and "client_id" not in ana
    staff.post("/api/v1/customers", json={"name": "Bar do Zé", "phone": "11 3333-4444",
                                          "document_number": "11.222.333/0001-81"})
    for params in ({"phone": "(11) 98765-4321"}, {"phone": "5511987654321"},
                   {"email": "ANA.SOUZA@example.com.br"}, {"document": "52998224725"},
                   {"document": "529.982.247-25"}, {"q": "souza"}):
        found = staff.get("/api/v1/customers", "waiter", params=params).json()["items"]
        assert [c["customer_id"] for c in found] == [ana["customer_id"]], params
    company = staff.get("/api/v1/customers", params={"document": "11222333000181"}).json()
    assert company["items"][0]["document_type"] == "CNPJ"
    assert staff.get("/api/v1/customers", params={"phone": "11 0000-0000"}).json()["items"] == []
    assert_error(staff.get("/api/v1/customers", params={"document": "123"}), 422,
                 "invalid_document")
    assert_error(staff.get("/api/v1/customers", params={"email": "nope"}), 422)
    assert [c["name"] for c in staff.get("/api/v1/customers").json()["items"]] == [
        "Ana Souza", "Bar do Zé"]


def test_the_document_is_encrypted_at_rest(staff, settings):
    ana = staff.post("/api/v1/customers", json=ANA).json()
    (row,) = fetch(settings, staff.tenant.client_id,
                   select(customers.c.document_number, customers.c.document_hash))
    assert "52998224725" not in row.document_number and len(row.document_number) <= 255
    assert "52998224725" not in row.document_hash and len(row.document_hash) == 64
    assert staff.get(f"/api/v1/customers/{ana['customer_id']}").json()["document_number"] == \
        "52998224725"
    # Another data key can neither read the document nor find it by its hash.
    other = Settings(data_key="another-data-key-of-at-least-32-chars!")
    assert crypto.lookup_hash(other, "customers.document", "CPF:52998224725") != row.document_hash
    with pytest.raises(ValueError, match="another key"):
        crypto.unseal(other, "customers.document", row.document_number)


def test_bad_customers_are_422_duplicates_409_and_nothing_is_written(staff, settings):
    staff.post("/api/v1/customers", json=ANA)
    before = counts(settings, staff.tenant.client_id, customers)
    for body in ({"email": "a@b.co"}, {"name": ""}, {"name": "x" * 101},
                 {"name": "Ana", "document_number": "529.982.247-24"},
                 {"name": "Ana", "document_number": "52998224725", "document_type": "CNPJ"},
                 {"name": "Ana", "document_number": "52998224725", "document_type": "RG"},
                 {"name": "Ana", "email": "not-an-email"}, {"name": "Ana", "phone": "12"},
                 {"name": "Ana", "address": "Rua A"}, {"name": "Ana", "cpf": "52998224725"}):
        assert_error(staff.post("/api/v1/customers", json=body), 422)
    duplicate = assert_error(staff.post("/api/v1/customers", json={
        "name": "Outra Ana", "document_number": "52998224725"}), 409, "customer_exists")
    assert duplicate["details"]["customer_id"]
    assert counts(settings, staff.tenant.client_id, customers) == before


def test_update_changes_the_document_and_delete_erases_but_keeps_orders(staff, menu, settings):
    ana = staff.post("/api/v1/customers", json=ANA).json()
    path = f"/api/v1/customers/{ana['customer_id']}"
    moved = staff.patch(path, json={"document_number": "11.222.333/0001-81",
                                    "phone": "21 99999-0000"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["document_type"], moved.json()["phone"]) == ("CNPJ", "21999990000")
    assert staff.get("/api/v1/customers", params={"document": "52998224725"}).json()["items"] == []
    assert len(staff.get("/api/v1/customers",
                         params={"document": "11222333000181"}).json()["items"]) == 1
    cleared = staff.patch(path, json={"document_number": None, "email": None})
    assert cleared.json()["document_number"] is None and cleared.json()["document_type"] is None
    assert_error(staff.patch(path, json={"name": None}), 422)
    order = staff.post("/api/v1/orders", json=order_body(
        menu, ("X-Burger", "1"), customer_id=ana["customer_id"])).json()
    assert order["customer_id"] == ana["customer_id"]
    by_customer = staff.get("/api/v1/orders", params={"customer_id": ana["customer_id"]}).json()
    assert [o["order_id"] for o in by_customer["items"]] == [order["order_id"]]
    assert_error(staff.delete(path, "cashier"), 403)
    erased = staff.delete(path, "manager")
    assert erased.json() == {"customer_id": ana["customer_id"], "deleted": True}
    assert_error(staff.get(path), 404, "customer_not_found")
    assert staff.get(f"/api/v1/orders/{order['order_id']}").json()["customer_id"] is None
    stored = fetch(settings, staff.tenant.client_id, select(orders.c.customer_id))
    assert [row.customer_id for row in stored] == [None]
    audited = fetch(settings, staff.tenant.client_id,
                    select(audit_log.c.action, audit_log.c.resource_id)
                    .where(audit_log.c.action.like("customer.%")))
    assert [(a.action, a.resource_id) for a in audited] == [
        ("customer.deleted", ana["customer_id"])]


def test_customers_of_another_tenant_are_invisible(staff, counter_client, settings):
    ana = staff.post("/api/v1/customers", json=ANA).json()
    other = Api(counter_client, make_tenant(settings))
    assert other.get("/api/v1/customers", params={"document": "52998224725"}).json()["items"] == []
    assert_error(other.get(f"/api/v1/customers/{ana['customer_id']}"), 404)
    assert_error(other.delete(f"/api/v1/customers/{ana['customer_id']}"), 404)
    # Their own order naming our customer: an unknown customer.
    theirs = create_menu(other)
    assert_error(other.post("/api/v1/orders", json=order_body(
        theirs, ("X-Burger", "1"), customer_id=ana["customer_id"])), 422, "unknown_customer")


async def _at_once(settings, tenant, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """Send ``requests`` (method, path, body) together to an app in this event loop."""
    app = create_app(settings, plugins=["auth", "customers"])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://pos") as client:
            token = (await client.post("/api/v1/auth/token", json={
                "client_id": tenant.client_id, "username": "cashier",
                "password": tenant.passwords["cashier"]})).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            return await asyncio.gather(*(client.request(method, path, json=body, headers=headers)
                                          for method, path, body in requests))


def test_ten_registrations_of_one_document_at_once_make_one_customer(settings):
    tenant = make_tenant(settings, roles=("cashier",))
    answers = asyncio.run(_at_once(settings, tenant, [
        ("POST", "/api/v1/customers", {**ANA, "name": f"Ana {n}"}) for n in range(10)]))
    assert sorted(a.status_code for a in answers) == [201] + [409] * 9, [a.text for a in answers]
    (winner,) = [a.json() for a in answers if a.status_code == 201]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.json()["error"]["code"] == "customer_exists"
        assert refused.json()["error"]["details"] == {"customer_id": winner["customer_id"]}
    assert counts(settings, tenant.client_id, customers) == {"customers": 1}


def test_ten_customers_changed_to_one_document_at_once_leave_one_with_it(settings, staff):
    made = [staff.post("/api/v1/customers", json={"name": f"Cliente {n}"}).json()
            for n in range(10)]
    answers = asyncio.run(_at_once(settings, staff.tenant, [
        ("PATCH", f"/api/v1/customers/{c['customer_id']}", {"document_number": "52998224725"})
        for c in made]))
    assert sorted(a.status_code for a in answers) == [200] + [409] * 9, [a.text for a in answers]
    (winner,) = [a.json() for a in answers if a.status_code == 200]
    assert {a.json()["error"]["details"]["customer_id"] for a in answers
            if a.status_code == 409} == {winner["customer_id"]}
    found = staff.get("/api/v1/customers", params={"document": "52998224725"}).json()["items"]
    assert [c["customer_id"] for c in found] == [winner["customer_id"]]
