"""Bad input: a product without fiscal data (the sale goes through, its note waits with a clear
reason, and asking for it lists the products), unknown or unpaid orders, bad NCM or CST, a CNPJ
or CPF with wrong check digits, an expired certificate; secrets never shown."""

from support.api import assert_error
from support.fiscal import (
    CNPJ, DOCS, PRODUCT_DATA, configure, documents, give_fiscal_data, paid_order,
    wait_document)
from support.fiscal_cert import PASSWORD, make_certificate
from support.menu import order_body

PRODUCTS = "/api/v1/fiscal/products"


def test_a_product_without_fiscal_data_sells_and_its_note_waits_for_the_data(api, menu, sefaz):
    order = paid_order(api, menu, ("Pudim de leite", "1"), ("X-Burger", "1"))
    [waiting] = wait_document(api, order["order_id"], "PENDING_DATA")
    assert waiting["number"] is None and waiting["access_key"] is None
    assert "Pudim de leite" in waiting["reason"]
    refused = assert_error(api.post(DOCS, "cashier", json={"order_id": order["order_id"]}),
                           409, "fiscal_data_missing")
    assert refused["details"]["products"] == [
        {"product_id": menu["Pudim de leite"]["product_id"], "name": "Pudim de leite"}]
    assert [d["status"] for d in documents(api, order["order_id"])] == ["PENDING_DATA"]
    give_fiscal_data(api, menu, "Pudim de leite", ncm="19059090")
    made = api.post(DOCS, "cashier", json={"order_id": order["order_id"]})
    assert made.status_code == 201, made.text
    assert made.json()["number"] == 1  # the waiting note took no number
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    assert doc["document_id"] == waiting["document_id"]


def test_unknown_and_unpaid_orders_are_refused(api, menu):
    assert_error(api.post(DOCS, "cashier", json={
        "order_id": "00000000-0000-4000-8000-000000000000"}), 404, "order_not_found")
    made = api.post("/api/v1/orders", "cashier", json=order_body(menu, ("X-Burger", "1")))
    error = assert_error(api.post(DOCS, "cashier", json={"order_id": made.json()["order_id"]}),
                         409, "order_not_paid")
    assert error["details"]["payment_status"] == "PENDING"
    assert_error(api.post(DOCS, "cashier", json={"order_id": "not-a-uuid"}), 422)
    assert_error(api.post(DOCS, "cashier", json={"order_id": made.json()["order_id"],
                                                 "cpf": "529.982.247-24"}), 422)
    assert_error(api.get(f"{DOCS}/00000000-0000-4000-8000-000000000000"), 404)
    assert documents(api, made.json()["order_id"]) == []


def test_product_fiscal_data_is_checked(api, menu):
    path = f"{PRODUCTS}/{menu['Pudim de leite']['product_id']}"
    for bad in ({"ncm": "1234"}, {"ncm": "00000000"}, {"cst": "00"}, {"cfop": "6102"},
                {"ibs_rate": "101"}, {"cclass_trib": "12"}):
        assert_error(api.request("PUT", path, json={**PRODUCT_DATA, **bad}), 422)
    assert_error(api.get(path), 404, "fiscal_data_not_found")
    assert_error(api.request("PUT", f"{PRODUCTS}/00000000-0000-4000-8000-000000000000",
                             json=PRODUCT_DATA), 404, "product_not_found")
    assert_error(api.request("PUT", path, "cashier", json=PRODUCT_DATA), 403)
    saved = api.request("PUT", path, json={**PRODUCT_DATA, "cest": "1700100"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["cest"] == "1700100" and saved.json()["ibs_rate"] == "0.1000"
    listed = api.get(PRODUCTS).json()["products"]
    assert menu["Pudim de leite"]["product_id"] in [p["product_id"] for p in listed]
    assert api.delete(path).status_code == 200
    assert_error(api.get(path), 404)


def test_fiscal_settings_check_cnpj_and_codes_and_mask_secrets(api, menu):
    for name, bad in (("POS_FISCAL_CNPJ", "11.222.333/0001-82"),
                      ("POS_FISCAL_CITY_CODE", "355030"), ("POS_FISCAL_UF", "XX"),
                      ("POS_FISCAL_ENVIRONMENT", "teste"), ("POS_FISCAL_CRT", "9")):
        error = assert_error(api.patch("/api/v1/settings", json={name: bad}), 422)
        assert error["details"][0]["loc"] == ["body", name]
    configure(api, {"POS_FISCAL_CNPJ": "12.ABC.345/01DE-35"})  # the alphanumeric CNPJ of 2026
    configure(api, {"POS_FISCAL_CNPJ": CNPJ})
    items = {item["name"]: item for item in api.get("/api/v1/settings").json()["items"]}
    assert items["POS_FISCAL_CSC"]["value"] == "********"
    assert items["POS_FISCAL_CERT_PASSWORD"]["value"] == "********"
    assert PASSWORD not in api.get("/api/v1/settings").text


def test_an_expired_certificate_leaves_the_note_waiting_never_a_500(api, menu, sefaz, tmp_path):
    expired, _ = make_certificate(tmp_path, days=-1, name="expired")
    configure(api, {"POS_FISCAL_CERT_FILE": str(expired)})
    order = paid_order(api, menu, ("X-Burger", "1"))
    [waiting] = wait_document(api, order["order_id"], "PENDING_DATA")
    assert "expired" in waiting["reason"]
    assert_error(api.post(DOCS, "cashier", json={"order_id": order["order_id"]}), 409,
                 "certificate_unusable")
    alerts = api.get("/api/v1/fiscal/status", "manager").json()["alerts"]
    assert any("certificado A1 inutilizável" in alert for alert in alerts)
    assert sefaz.requests == []
    # The operator's probe names the file, and stays ready: the store keeps selling.
    ready = api.client.get("/ready")
    assert ready.status_code == 200
    assert any(w.startswith(f"fiscal: the A1 certificate {expired} cannot sign (") and
               "expired" in w for w in ready.json()["warnings"])


def test_the_status_warns_of_a_certificate_about_to_expire(api, menu, tmp_path):
    soon, _ = make_certificate(tmp_path, days=10, name="soon")
    configure(api, {"POS_FISCAL_CERT_FILE": str(soon)})
    status = api.get("/api/v1/fiscal/status", "manager")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["certificate"]["days_left"] in (9, 10) and body["missing"] == []
    assert any("vence em" in alert for alert in body["alerts"])
    ready = api.client.get("/ready")
    assert ready.status_code == 200
    assert any(w.startswith(f"fiscal: the A1 certificate {soon} expires in ") and
               "day(s)" in w for w in ready.json()["warnings"])
    assert_error(api.get("/api/v1/fiscal/status", "cashier"), 403)
