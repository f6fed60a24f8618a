"""Driving the kiosk in tests: orders placed as the kiosk device, PIX paid through Asaas."""

from __future__ import annotations

from support.tenant_db import wait_for
from support.tenders import webhook


def kiosk_body(menu, *lines, name="Ana", service="eat_in", payment="pix") -> dict:
    """A kiosk order's body from (product name, quantity) pairs."""
    return {"customer_name": name, "service": service, "payment": payment,
            "items": [{"product_id": menu[product]["product_id"], "quantity": quantity}
                      for product, quantity in lines]}


def place(staff, menu, *lines, headers=None, **extra):
    """``POST /api/v1/kiosk/orders`` as the kiosk device; the response."""
    return staff.post("/api/v1/kiosk/orders", "kiosk", headers=headers,
                      json=kiosk_body(menu, *lines, **extra))


def status(staff, kiosk_order: dict) -> dict:
    found = staff.get(f"/api/v1/kiosk/orders/{kiosk_order['kiosk_order_id']}", "kiosk")
    assert found.status_code == 200, found.text
    return found.json()


def pay_pix(client, asaas, kiosk_order: dict) -> None:
    """The customer reads the QR code: the charge is paid at Asaas, which calls our webhook."""
    charge = asaas.charge_for(kiosk_order["payment_id"])
    asaas.pay(charge["id"])
    answered = webhook(client, asaas.event("PAYMENT_RECEIVED", charge["id"]))
    assert answered.status_code == 200, answered.text


def until_status(staff, kiosk_order: dict, wanted: str) -> dict:
    """The kiosk order once it reached ``wanted`` (events take a moment)."""
    return wait_for(lambda: (lambda found: found if found["status"] == wanted else None)(
        status(staff, kiosk_order)))
