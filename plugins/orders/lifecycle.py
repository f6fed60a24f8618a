"""Where an order may go next: PENDING → CONFIRMED → IN_PREPARATION → READY → DELIVERED →
COMPLETED, and CANCELLED from any state before COMPLETED."""

from __future__ import annotations

from posmodern.core.errors import Conflict

FORWARD = ("PENDING", "CONFIRMED", "IN_PREPARATION", "READY", "DELIVERED", "COMPLETED")
NEXT: dict[str, tuple[str, ...]] = {
    **{status: (following, "CANCELLED")
       for status, following in zip(FORWARD, FORWARD[1:], strict=False)},
    "COMPLETED": (),
    "CANCELLED": (),
}
OPEN = tuple(status for status, following in NEXT.items() if following)
#: While the kitchen has not started, items can still be added or removed (a waiter's new round).
EDITABLE = ("PENDING", "CONFIRMED")


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"


class OrderNotEditable(Conflict):
    code = "order_not_editable"


def check_transition(current: str, new: str) -> None:
    """Refuse a move the lifecycle does not allow, naming the moves it does."""
    allowed = NEXT[current]
    if new not in allowed:
        hint = f"allowed next: {', '.join(allowed)}" if allowed else "it is closed"
        raise TransitionNotAllowed(
            f"an order in {current} cannot move to {new}; {hint}",
            details={"current": current, "requested": new, "allowed": list(allowed)})


def check_editable(current: str) -> None:
    """Refuse to change the items of an order the kitchen has started (or that is closed)."""
    if current not in EDITABLE:
        raise OrderNotEditable(
            f"items can change only while the order is {' or '.join(EDITABLE)}; it is {current}",
            details={"current": current, "editable_in": list(EDITABLE)})
