"""Where an order may go next: PENDING → CONFIRMED → IN_PREPARATION → READY → DELIVERED →
COMPLETED, and CANCELLED from any state before COMPLETED."""

from __future__ import annotations

from itertools import pairwise

from posmodern.core.errors import Conflict
from posmodern.core.orders import CLOSED_STATUSES, OrderStatus, PaymentStatus

#: The way forward, one step at a time: every status but ``CANCELLED``, in the enum's order.
FORWARD = tuple(status for status in OrderStatus if status is not OrderStatus.CANCELLED)
#: The moves allowed from each status: the next step forward, or cancelling; none once closed.
NEXT: dict[OrderStatus, tuple[OrderStatus, ...]] = {
    **{status: (following, OrderStatus.CANCELLED) for status, following in pairwise(FORWARD)},
    **{status: () for status in CLOSED_STATUSES},
}
#: While the kitchen has not started, items can still be added or removed (a waiter's new round).
EDITABLE = (OrderStatus.PENDING, OrderStatus.CONFIRMED)
#: A table's tab takes rounds while earlier ones cook or were served (the desk's
#: ``while_cooking``); an order already READY or DELIVERED goes back to the kitchen for it.
TAB_EDITABLE = tuple(status for status in OrderStatus if status not in CLOSED_STATUSES)
BACK_TO_KITCHEN = (OrderStatus.READY, OrderStatus.DELIVERED)
#: Items change only while no money is kept for the order: none taken yet, or all given back.
UNPAID = (PaymentStatus.PENDING, PaymentStatus.REFUNDED)


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class OrderNotEditable(Conflict):
    code = "order_not_editable"


class OrderPaid(Conflict):
    code = "order_paid"


def check_transition(current: str, new: str) -> None:
    """Refuse a move the lifecycle does not allow, naming the moves it does."""
    allowed = NEXT[current]
    if new not in allowed:
        hint = f"allowed next: {', '.join(allowed)}" if allowed else "it is closed"
        raise TransitionNotAllowed(
            f"an order in {current} cannot move to {new}; {hint}",
            details={"current": current, "requested": new, "allowed": list(allowed)})


def check_editable(current: str, editable: tuple[OrderStatus, ...] = EDITABLE) -> None:
    """Refuse to change the items of an order the kitchen has started (or that is closed);
    ``editable``: the statuses allowed (a tab's are :data:`TAB_EDITABLE`)."""
    if current not in editable:
        raise OrderNotEditable(
            f"items can change only while the order is {' or '.join(editable)}; it is {current}",
            details={"current": current, "editable_in": list(editable)})


def check_unpaid(payment_status: str) -> None:
    """Refuse to change the items of an order money was taken for: it would keep its payment
    status (PAID) with more paid than it now costs. A manager refunds first."""
    if payment_status not in UNPAID:
        raise OrderPaid(
            f"items cannot change once money was taken for the order ({payment_status}); "
            "a manager refunds the payments first",
            details={"payment_status": payment_status, "editable_when": list(UNPAID)})
