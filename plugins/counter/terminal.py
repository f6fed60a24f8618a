"""A card paid on the store's own card machine (a stand-alone terminal, not integrated): the
cashier sees the machine approve it and records the tender, which is confirmed at once. A refund
is done on the machine too, so it is only recorded here."""

from __future__ import annotations

from posmodern.core.payments import (PaymentRequest, PaymentResult, ProviderBase, RefundRequest,
                                     RefundResult, RefundStatus, TenderStatus)


class CardTerminalProvider(ProviderBase):
    name = "card_terminal"
    methods = ("debit_card", "credit_card")

    async def authorize(self, request: PaymentRequest) -> PaymentResult:
        return PaymentResult(TenderStatus.CONFIRMED)

    async def refund(self, request: RefundRequest) -> RefundResult:
        return RefundResult(RefundStatus.DONE)

    async def status(self, reference: str, external_id: str | None) -> PaymentResult:
        return PaymentResult(TenderStatus.CONFIRMED)
