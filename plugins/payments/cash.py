"""The cash drawer as a payment provider: always confirmed at once, and it gives change."""

from __future__ import annotations

from posmodern.core.payments import (PaymentRequest, PaymentResult, ProviderBase, RefundRequest,
                                     RefundResult, RefundStatus, TenderStatus)


class CashProvider(ProviderBase):
    name = "cash"
    methods = ("cash",)
    gives_change = True
    takes_webhooks = False

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        return PaymentResult(TenderStatus.CONFIRMED)

    async def refund(self, request: RefundRequest) -> RefundResult:
        # The cashier hands the money back from the drawer.
        return RefundResult(RefundStatus.DONE)

    async def status(self, reference: str, external_id: str | None) -> PaymentResult:
        return PaymentResult(TenderStatus.CONFIRMED)
