"""The drawer's shifts: opened with a float, sangria and suprimento, closed with a count; what the
drawer should hold follows the shift's cash tenders (change given back, refunds) and movements.
Bad input is a 4xx in the SPEC's shape and writes nothing."""

from decimal import Decimal

import pytest

from support.api import assert_error

SHIFTS = "/api/v1/counter/shifts"


def open_shift(staff, amount="100.00", role="cashier"):
    made = staff.post(SHIFTS, role, json={"opening_amount": amount})
    assert made.status_code == 201, made.text
    return made.json()


def test_a_day_at_the_drawer_adds_up(staff, sell):
    shift = open_shift(staff, "100.00")
    assert shift["status"] == "OPEN" and shift["expected_amount"] == "100.00"
    assert shift["opened_by"] == "cashier"
    # 26.90 paid with 50.00: 23.10 change; 6.50 paid exact; a card sale leaves the drawer alone.
    _, first = sell(("X-Burger", "1"), amount="50.00")
    assert first["change_due"] == "23.10"
    sell(("Guaraná lata", "1"))
    sell(("Misto quente", "1"), method="debit_card", provider="card_terminal")
    moved = staff.post(f"{SHIFTS}/{shift['shift_id']}/movements", "cashier",
                       json={"kind": "sangria", "amount": "50.00", "reason": "cofre"})
    assert moved.status_code == 201, moved.text
    staff.post(f"{SHIFTS}/{shift['shift_id']}/movements", "cashier",
               json={"kind": "suprimento", "amount": "20.00"})
    current = staff.get(f"{SHIFTS}/current", "cashier").json()["shift"]
    assert current["cash_tendered"] == "56.50" and current["change_given"] == "23.10"
    assert current["cash_tenders"] == 2
    assert (current["sangrias"], current["suprimentos"]) == ("50.00", "20.00")
    expected = Decimal("100.00") + Decimal("56.50") - Decimal("23.10") + 20 - 50
    assert Decimal(current["expected_amount"]) == expected == Decimal("103.40")
    assert [m["kind"] for m in current["movements"]] == ["sangria", "suprimento"]

    closed = staff.post(f"{SHIFTS}/{shift['shift_id']}/close", "cashier",
                        json={"counted_amount": "100.00"})
    assert closed.status_code == 200, closed.text
    closed = closed.json()
    assert closed["status"] == "CLOSED" and closed["closed_by"] == "cashier"
    assert (closed["expected_amount"], closed["counted_amount"]) == ("103.40", "100.00")
    assert closed["difference"] == "-3.40"
    assert staff.get(f"{SHIFTS}/current", "cashier").json() == {"shift": None}
    # A sale after closing is not the closed shift's.
    sell(("Pudim de leite", "1"))
    assert staff.get(f"{SHIFTS}/{shift['shift_id']}", "cashier").json()["expected_amount"] \
        == "103.40"
    listed = staff.get(SHIFTS, "manager").json()["items"]
    assert [s["shift_id"] for s in listed] == [shift["shift_id"]]


def test_a_refunded_cash_tender_leaves_the_drawer(staff, sell):
    shift = open_shift(staff, "0.00")
    _, paid = sell(("Suco de laranja", "1"))
    refunded = staff.post(f"/api/v1/payments/{paid['payment_id']}/refund", "manager", json={})
    assert refunded.status_code == 201, refunded.text
    current = staff.get(f"{SHIFTS}/{shift['shift_id']}", "cashier").json()
    assert (current["cash_tendered"], current["cash_refunded"]) == ("9.00", "9.00")
    assert current["expected_amount"] == "0.00"


def test_one_shift_open_at_a_time_and_a_closed_one_stays_closed(staff):
    shift = open_shift(staff)
    assert_error(staff.post(SHIFTS, "manager", json={"opening_amount": "5.00"}), 409,
                 "shift_already_open")
    close = f"{SHIFTS}/{shift['shift_id']}/close"
    assert staff.post(close, "cashier", json={"counted_amount": "100.00"}).status_code == 200
    assert_error(staff.post(close, "cashier", json={"counted_amount": "1.00"}), 409,
                 "shift_closed")
    assert_error(staff.post(f"{SHIFTS}/{shift['shift_id']}/movements", "cashier",
                            json={"kind": "sangria", "amount": "1.00"}), 409, "shift_closed")
    again = open_shift(staff, "80.00")
    assert again["shift_id"] != shift["shift_id"]


@pytest.mark.parametrize("path, body", [
    ("", {"opening_amount": "-1.00"}),
    ("", {"opening_amount": "1.001"}),
    ("", {"opening_amount": "abc"}),
    ("", {}),
    ("/movements", {"kind": "sangria", "amount": "-5.00"}),
    ("/movements", {"kind": "sangria", "amount": "0"}),
    ("/movements", {"kind": "gorjeta", "amount": "5.00"}),
    ("/movements", {"kind": "suprimento", "amount": "5.00", "extra": 1}),
    ("/close", {"counted_amount": "-0.01"}),
    ("/close", {"counted_amount": "100000000.00"}),
])
def test_bad_amounts_are_422_and_change_nothing(staff, path, body):
    shift = open_shift(staff) if path else None
    target = f"{SHIFTS}/{shift['shift_id']}{path}" if shift else SHIFTS
    assert_error(staff.post(target, "cashier", json=body), 422)
    if shift:
        after = staff.get(f"{SHIFTS}/{shift['shift_id']}", "cashier").json()
        assert after["status"] == "OPEN" and after["movements"] == []
    else:
        assert staff.get(SHIFTS, "cashier").json()["items"] == []


def test_who_may_touch_the_drawer_and_which_store(staff):
    assert_error(staff.post(SHIFTS, "waiter", json={"opening_amount": "1.00"}), 403)
    assert_error(staff.get(f"{SHIFTS}/current", "kitchen"), 403)
    assert_error(staff.post(SHIFTS, None, json={"opening_amount": "1.00"}), 401)
    unknown = "00000000-0000-4000-8000-000000000000"
    assert_error(staff.post(f"{SHIFTS}/{unknown}/close", "cashier",
                            json={"counted_amount": "1.00"}), 404, "shift_not_found")


def test_an_open_shift_keeps_its_idempotency_key(staff):
    headers = {"Idempotency-Key": "open-shift-once"}
    first = staff.post(SHIFTS, "cashier", json={"opening_amount": "50.00"}, headers=headers)
    second = staff.post(SHIFTS, "cashier", json={"opening_amount": "50.00"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json()["shift_id"] == second.json()["shift_id"]
