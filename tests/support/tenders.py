"""Helpers of the payments tests: paying an order and posting Asaas webhooks."""

from __future__ import annotations

import json

from support.fake_asaas import valid_cpf

WEBHOOK_TOKEN = "whsec-test-token-123"
MARIA = {"name": "Maria Souza", "cpf_cnpj": valid_cpf(1), "email": "maria@example.com"}


def pay(api, order_id, method, amount, role="cashier", headers=None, **extra):
    """``POST /api/v1/orders/{id}/payments`` as ``role``."""
    return api.post(f"/api/v1/orders/{order_id}/payments", role, headers=headers,
                    json={"method": method, "amount": amount, **extra})


def webhook(client, event: dict, token: str = WEBHOOK_TOKEN, provider: str = "asaas"):
    """Post a notification as Asaas does: JSON body, ``asaas-access-token`` header, no bearer."""
    return client.post(f"/api/v1/payments/webhooks/{provider}", content=json.dumps(event),
                       headers={"Content-Type": "application/json",
                                "asaas-access-token": token})
