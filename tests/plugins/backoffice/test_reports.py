"""The back office's reports: every figure equals a SQL sum over the same orders, items and
payments; CSV for a spreadsheet; bad periods are 422s; only managers and admins read them."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import distinct, func, select

from posmodern.schema.tables import categories, order_items, orders, payments, products
from support.api import assert_error
from support.menu import order_body
from support.tenant_db import fetch
from support.tenders import pay


def sell(staff, menu, role, *lines, discount=None, pay_with="cash", cancel=False):
    """An order taken by ``role``, paid in cash (or cancelled)."""
    body = order_body(menu, *lines, **({"discount": discount} if discount else {}))
    made = staff.post("/api/v1/orders", role, json=body)
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["operator"]["username"] == role  # who took it, for the sales by operator
    if cancel:
        moved = staff.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                           json={"status": "CANCELLED"})
        assert moved.status_code == 200, moved.text
    elif pay_with:
        paid = pay(staff, order["order_id"], pay_with, order["total"], role="cashier")
        assert paid.status_code in (200, 201), paid.text
    return order


@pytest.fixture
def day(staff, menu):
    """A day of the store: two cashier sales, a manager's discounted one, an unpaid one and a
    cancellation; one line taken off an order."""
    sell(staff, menu, "cashier", ("X-Burger", "2"), ("Guaraná lata", "1"))
    sell(staff, menu, "cashier", ("Suco de laranja", "3"))
    sell(staff, menu, "manager", ("Pudim de leite", "1"), ("X-Burger", "1"), discount="5.00")
    unpaid = sell(staff, menu, "manager", ("Misto quente", "2"), ("Guaraná lata", "2"),
                  pay_with=None)
    item = next(i for i in unpaid["items"] if i["product_name"] == "Guaraná lata")
    removed = staff.delete(f"/api/v1/orders/{unpaid['order_id']}/items/{item['item_id']}",
                           "manager")
    assert removed.status_code == 200, removed.text
    sell(staff, menu, "cashier", ("Misto quente", "4"), cancel=True)


def report(staff, path, role="manager", **query):
    answer = staff.get(f"/api/v1/reports/{path}", role, params=query)
    assert answer.status_code == 200, answer.text
    return answer.json()


def sold(settings, staff, *columns, group=None, join=None, where=()):
    """A direct SQL query over the store's orders that were not cancelled."""
    statement = select(*columns).select_from(join if join is not None else orders).where(
        orders.c.store_id == "store-1", orders.c.status != "CANCELLED", *where)
    if group is not None:
        statement = statement.group_by(*group)
    return fetch(settings, staff.tenant.client_id, statement)


def money(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def test_sales_by_day_hour_and_operator_equal_sql_sums(staff, day, settings):
    (count, subtotal, discount, total), = sold(
        settings, staff, func.count(), func.sum(orders.c.subtotal),
        func.sum(orders.c.discount), func.sum(orders.c.total))
    for by in ("day", "hour", "operator"):
        answer = report(staff, "sales", by=by)
        assert answer["totals"] == {"orders": count, "subtotal": str(money(subtotal)),
                                    "discount": str(money(discount)),
                                    "total": str(money(total))}, by
        assert sum(Decimal(row["total"]) for row in answer["rows"]) == money(total)
    assert count == 4
    by_day = report(staff, "sales", by="day")
    assert [row["day"] for row in by_day["rows"]] == [by_day["since"]]
    assert by_day["timezone"] == "America/Sao_Paulo"
    operators = {row["operator"]: row for row in report(staff, "sales", by="operator")["rows"]}
    assert set(operators) == {"cashier", "manager"}
    assert operators["cashier"]["orders"] == 2 and operators["manager"]["discount"] == "5.00"


def test_sales_by_product_and_category_equal_sql_sums(staff, day, settings):
    live = order_items.c.status.not_in(("CANCELLED", "REMOVED"))
    items = order_items.join(orders, orders.c.order_id == order_items.c.order_id)
    expected = {name: (n, money(q), money(a)) for name, n, q, a in sold(
        settings, staff, products.c.name, func.count(distinct(orders.c.order_id)),
        func.sum(order_items.c.quantity), func.sum(order_items.c.subtotal),
        join=items.join(products, products.c.product_id == order_items.c.product_id),
        where=(live,), group=(products.c.name,))}
    answer = report(staff, "sales", by="product")
    got = {row["product"]: (row["orders"], money(row["amount"]), money(row["amount"]))
           for row in answer["rows"]}
    assert {name: (n, a) for name, (n, _, a) in got.items()} == {
        name: (n, a) for name, (n, _, a) in expected.items()}
    assert {row["product"]: Decimal(row["quantity"]) for row in answer["rows"]} == {
        name: q for name, (_, q, _) in expected.items()}
    assert "Guaraná lata" in got and got["Guaraná lata"][0] == 1  # the removed line is out

    by_category = {name: money(a) for name, a in sold(
        settings, staff, categories.c.name, func.sum(order_items.c.subtotal),
        join=items.join(products, products.c.product_id == order_items.c.product_id)
        .join(categories, categories.c.category_id == products.c.category_id),
        where=(live,), group=(categories.c.name,))}
    answer = report(staff, "sales", by="category")
    assert {row["category"]: money(row["amount"]) for row in answer["rows"]} == by_category
    (items_total,), = sold(settings, staff, func.sum(order_items.c.subtotal), join=items,
                           where=(live,))
    assert Decimal(answer["totals"]["amount"]) == money(items_total)
    (subtotal,), = sold(settings, staff, func.sum(orders.c.subtotal))
    assert money(items_total) == money(subtotal)  # items and orders tell the same story


def test_payments_cancellations_and_discounts_equal_sql_sums(staff, day, settings):
    settled = payments.c.status.in_(("CONFIRMED", "PARTIALLY_REFUNDED", "REFUNDED"))
    (count, amount), = fetch(settings, staff.tenant.client_id, select(
        func.count(), func.sum(payments.c.amount)).where(settled))
    answer = report(staff, "sales", by="payment_method")
    assert answer["rows"] == [{"payment_method": "Dinheiro", "payments": count,
                               "amount": str(money(amount)), "refunded": "0.00",
                               "net": str(money(amount))}]

    (cancelled, cancelled_total), = fetch(settings, staff.tenant.client_id, select(
        func.count(), func.sum(orders.c.total)).where(orders.c.status == "CANCELLED"))
    answer = report(staff, "cancellations")
    assert len(answer["rows"]) == cancelled == 1
    assert answer["totals"]["total"] == str(money(cancelled_total))
    assert answer["rows"][0]["operator"] == "cashier"

    (discounted, discount_sum), = sold(settings, staff, func.count(),
                                       func.sum(orders.c.discount),
                                       where=(orders.c.discount > 0,))
    answer = report(staff, "discounts")
    assert len(answer["rows"]) == discounted == 1
    assert answer["totals"]["discount"] == str(money(discount_sum)) == "5.00"


def test_csv_is_a_brazilian_spreadsheet_with_a_totals_line(staff, day):
    answer = staff.get("/api/v1/reports/sales", "manager",
                       params={"by": "product", "format": "csv"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    text = answer.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Produto", "Pedidos", "Quantidade", "Valor"]
    data = report(staff, "sales", by="product")
    assert "orders" not in data["totals"]  # an order of two products is in two rows
    assert rows[-1] == ["Total", "",
                        data["totals"]["quantity"].replace(".", ","),
                        data["totals"]["amount"].replace(".", ",")]
    assert len(rows) == len(data["rows"]) + 2


def test_a_period_without_sales_is_empty_and_days_are_the_stores(staff, day):
    yesterday = (date.today() - timedelta(days=3)).isoformat()
    answer = report(staff, "sales", by="day", since=yesterday, until=yesterday)
    assert answer["rows"] == [] and answer["totals"]["total"] == "0.00"
    changed = staff.patch("/api/v1/settings", "admin", json={"POS_REPORT_TIMEZONE": "UTC"})
    assert changed.status_code == 200, changed.text
    assert report(staff, "sales", by="day")["timezone"] == "UTC"


@pytest.mark.parametrize("query, code", [
    ({"since": "2026-02-10", "until": "2026-02-01"}, "invalid_period"),
    ({"since": "2024-01-01", "until": "2026-01-01"}, "period_too_long"),
    ({"since": "ontem"}, None),
    ({"by": "weather"}, None),
    ({"format": "xlsx"}, None),
    ({"color": "red"}, None),
])
def test_bad_queries_are_422(staff, query, code):
    assert_error(staff.get("/api/v1/reports/sales", "manager", params=query), 422, code)


def test_only_managers_and_admins_read_reports(staff):
    assert_error(staff.get("/api/v1/reports/sales", "cashier"), 403)
    assert_error(staff.get("/api/v1/reports/discounts", None), 401)
    assert staff.get("/api/v1/reports/cancellations", "admin").status_code == 200
