"""Helpers of the fiscal tests: a store set up to issue NFC-e, products' fiscal data, a paid
order, and waiting for a note to reach a status."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from lxml import etree
from support.menu import order_body
from support.tenant_db import wait_for
from support.tenders import pay

DOCS = "/api/v1/fiscal/documents"
PLUGINS = ["auth", "catalog", "orders", "payments", "settings", "fiscal"]
#: A sender that looks every 0.1 s, gives SEFAZ 2 s, and tries again after 0.3 s.
FAST = {"POS_FISCAL_POLL_SECONDS": "0.1", "POS_FISCAL_TIMEOUT_SECONDS": "2",
        "POS_FISCAL_RETRY_SECONDS": "0.3"}
CNPJ = "11.222.333/0001-81"
PRODUCT_DATA = {"ncm": "21069090", "cfop": "5102", "cst": "102", "origin": 0,
                "cst_ibscbs": "000", "cclass_trib": "000001", "ibs_rate": "0.1",
                "cbs_rate": "0.9"}


def xmlsec_verifies(folder, root, certificate, signed_tag: str) -> None:
    """``xmlsec1`` (an independent verifier) checks the signature over ``signed_tag`` of
    ``root`` with the test certificate; the test is skipped where it is not installed."""
    if shutil.which("xmlsec1") is None:
        pytest.skip("xmlsec1 is not installed (.ci/system-packages xmlsec1)")
    path = folder / f"{signed_tag}.xml"
    path.write_bytes(etree.tostring(root))
    check = subprocess.run(["xmlsec1", "--verify", "--id-attr:Id", signed_tag,
                            "--pubkey-cert-pem", str(certificate[1]), str(path)],
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stderr


def store_settings(sefaz_url: str, pfx, password: str, **extra) -> dict:
    return {"POS_FISCAL_ENABLED": True, "POS_FISCAL_CNPJ": CNPJ,
            "POS_FISCAL_IE": "111222333444", "POS_FISCAL_CRT": "1",
            "POS_FISCAL_NAME": "RESTAURANTE TESTE LTDA", "POS_FISCAL_TRADE_NAME": "Teste",
            "POS_FISCAL_STREET": "Rua das Flores", "POS_FISCAL_STREET_NUMBER": "100",
            "POS_FISCAL_DISTRICT": "Centro", "POS_FISCAL_CITY": "São Paulo",
            "POS_FISCAL_CITY_CODE": "3550308", "POS_FISCAL_UF": "SP",
            "POS_FISCAL_CEP": "01001-000", "POS_FISCAL_SERIES": 1,
            "POS_FISCAL_ENVIRONMENT": "homologacao", "POS_FISCAL_CSC_ID": "000001",
            "POS_FISCAL_CSC": "CSC-DE-TESTE-0123456789", "POS_FISCAL_CERT_FILE": str(pfx),
            "POS_FISCAL_CERT_PASSWORD": password, "POS_FISCAL_SEFAZ_URL": sefaz_url, **extra}


def configure(api, settings: dict) -> None:
    answer = api.patch("/api/v1/settings", json=settings)
    assert answer.status_code == 200, answer.text


def give_fiscal_data(api, products, *names: str, **changes) -> None:
    for name in names:
        answer = api.request("PUT", f"/api/v1/fiscal/products/{products[name]['product_id']}",
                             json={**PRODUCT_DATA, **changes})
        assert answer.status_code == 200, answer.text


def paid_order(api, menu, *lines, method: str = "cash", extra_pay: str = "0") -> dict:
    made = api.post("/api/v1/orders", "cashier", json=order_body(menu, *lines))
    assert made.status_code == 201, made.text
    order = made.json()
    from decimal import Decimal
    amount = str(Decimal(order["total"]) + Decimal(extra_pay))
    paid = pay(api, order["order_id"], method, amount)
    assert paid.status_code in (200, 201), paid.text
    return order


def documents(api, order_id) -> list[dict]:
    answer = api.get(DOCS, params={"order_id": order_id})
    assert answer.status_code == 200, answer.text
    return answer.json()["documents"]


def wait_document(api, order_id, *statuses: str, count: int = 1) -> list[dict]:
    """The order's notes once ``count`` of them are in one of ``statuses``."""
    def ready():
        found = documents(api, order_id)
        return found if len([d for d in found if d["status"] in statuses]) >= count else None
    return wait_for(ready)
