"""The store's sales reports, read from the orders, items and payments of a period.

Sales are the orders created in the period that were not cancelled, by day, hour or operator
(the order's figures), by product or category (the items' figures, voided items left out) and by
payment method (the settled tenders of the period's orders, refunds apart). Cancellations and
discounts list their orders one per row. Every figure is a sum over those rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from posmodern.core.orders import GONE_ITEM_STATUSES, OrderStatus
from posmodern.core.payments import TenderStatus
from posmodern.plugins.backoffice.periods import Period
from posmodern.schema.tables import categories, order_items, orders, payments, products

ZERO = Decimal("0.00")
SETTLED = (TenderStatus.CONFIRMED, TenderStatus.PARTIALLY_REFUNDED, TenderStatus.REFUNDED)
METHOD_TITLES = {"cash": "Dinheiro", "pix": "PIX", "credit_card": "Cartão de crédito",
                 "debit_card": "Cartão de débito", "boleto": "Boleto", "voucher": "Vale"}
NO_CATEGORY = "Sem categoria"
NO_OPERATOR = "—"


@dataclass(frozen=True)
class Column:
    """One column of a report: ``kind`` says how to show it (``text``, ``date``, ``hour``,
    ``datetime``, ``count``, ``quantity``, ``money``); the numeric ones are totalled."""

    name: str
    title: str
    kind: str = "money"
    #: False for a count whose rows overlap (an order with two products counts in both).
    totalled: bool = True

    @property
    def summed(self) -> bool:
        return self.totalled and self.kind in ("count", "quantity", "money")


ORDER_FIGURES = (Column("orders", "Pedidos", "count"), Column("subtotal", "Subtotal"),
                 Column("discount", "Descontos"), Column("total", "Total"))
ITEM_FIGURES = (Column("orders", "Pedidos", "count", totalled=False),
                Column("quantity", "Quantidade", "quantity"),
                Column("amount", "Valor"))
PAYMENT_FIGURES = (Column("payments", "Pagamentos", "count"), Column("amount", "Recebido"),
                   Column("refunded", "Estornado"), Column("net", "Líquido"))
ORDER_LIST = (Column("order_number", "Pedido", "text"), Column("created_at", "Data", "datetime"),
              Column("operator", "Operador", "text"), Column("source", "Origem", "text"),
              Column("subtotal", "Subtotal"), Column("discount", "Desconto"),
              Column("total", "Total"))


@dataclass(frozen=True)
class Report:
    """What a report answers: its columns, rows and totals."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]]

    def totals(self) -> dict[str, Any]:
        return {column.name: sum((row[column.name] for row in self.rows),
                                 ZERO if column.kind == "money" else 0)
                for column in self.columns if column.summed}

    def view(self, period: Period) -> dict[str, Any]:
        return {"report": self.name, "title": self.title, **period.view(),
                "columns": [{"name": c.name, "title": c.title, "kind": c.kind}
                            for c in self.columns],
                "rows": self.rows, "totals": self.totals()}


def _in_period(store_id: str, period: Period):
    return and_(orders.c.store_id == store_id, orders.c.created_at >= period.start,
                orders.c.created_at < period.end)


def _sold():
    return orders.c.status != OrderStatus.CANCELLED


async def _orders(conn: AsyncConnection, store_id: str, period: Period, *where) -> list:
    return (await conn.execute(
        select(orders.c.order_number, orders.c.created_at, orders.c.status, orders.c.source,
               orders.c.subtotal, orders.c.discount, orders.c.total, orders.c.metadata)
        .where(_in_period(store_id, period), *where)
        .order_by(orders.c.created_at, orders.c.order_number))).all()


def operator_of(row) -> str:
    return ((row.metadata or {}).get("operator") or {}).get("username") or NO_OPERATOR


def _by_order(rows: Iterable, key: Callable[[Any], str]) -> list[dict[str, Any]]:
    """The sold orders' figures summed per ``key(order)``, in key order."""
    sums: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"orders": 0, "subtotal": ZERO, "discount": ZERO, "total": ZERO})
    for row in rows:
        bucket = sums[key(row)]
        bucket["orders"] += 1
        for name in ("subtotal", "discount", "total"):
            bucket[name] += row._mapping[name]
    return [{"key": name, **figures} for name, figures in sorted(sums.items())]


async def sales_by_order(conn: AsyncConnection, store_id: str, period: Period,
                         by: str) -> Report:
    rows = await _orders(conn, store_id, period, _sold())
    if by == "day":
        key, title = (lambda row: period.local(row.created_at).date().isoformat()), "Dia"
        kind = "date"
    elif by == "hour":
        key, title = (lambda row: f"{period.local(row.created_at).hour:02d}:00"), "Hora"
        kind = "hour"
    else:
        key, title, kind = operator_of, "Operador", "text"
    found = [{by: bucket.pop("key"), **bucket} for bucket in _by_order(rows, key)]
    return Report(f"sales.{by}", f"Vendas por {title.lower()}", (Column(by, title, kind),
                                                                 *ORDER_FIGURES), found)


async def sales_by_item(conn: AsyncConnection, store_id: str, period: Period,
                        by: str) -> Report:
    """Per product (its current name) or per category (the product's current one)."""
    if by == "product":
        label = func.coalesce(products.c.name, func.max(order_items.c.product_name))
        group = (order_items.c.product_id, products.c.name)
        title = "Produto"
    else:
        label = func.coalesce(categories.c.name, NO_CATEGORY)
        group = (categories.c.category_id, categories.c.name)
        title = "Categoria"
    statement = (
        select(label.label("label"), func.count(distinct(order_items.c.order_id)).label("orders"),
               func.sum(order_items.c.quantity).label("quantity"),
               func.sum(order_items.c.subtotal).label("amount"))
        .select_from(order_items.join(orders, orders.c.order_id == order_items.c.order_id)
                     .outerjoin(products, products.c.product_id == order_items.c.product_id)
                     .outerjoin(categories,
                                categories.c.category_id == products.c.category_id))
        .where(_in_period(store_id, period), _sold(),
               order_items.c.status.not_in(GONE_ITEM_STATUSES))
        .group_by(*group))
    rows = (await conn.execute(statement)).all()
    found = sorted(({by: row.label, "orders": row.orders, "quantity": Decimal(row.quantity),
                     "amount": Decimal(row.amount)} for row in rows),
                   key=lambda row: (-row["amount"], row[by]))
    return Report(f"sales.{by}", f"Vendas por {title.lower()}", (Column(by, title, "text"),
                                                                 *ITEM_FIGURES), found)


async def sales_by_payment_method(conn: AsyncConnection, store_id: str,
                                  period: Period) -> Report:
    statement = (
        select(payments.c.payment_method, func.count().label("payments"),
               func.sum(payments.c.amount).label("amount"),
               func.sum(payments.c.refunded_amount).label("refunded"))
        .select_from(payments.join(orders, orders.c.order_id == payments.c.order_id))
        .where(_in_period(store_id, period), payments.c.status.in_(SETTLED))
        .group_by(payments.c.payment_method)
        .order_by(payments.c.payment_method))
    found = []
    for row in (await conn.execute(statement)).all():
        amount, refunded = Decimal(row.amount), Decimal(row.refunded)
        found.append({"payment_method": METHOD_TITLES.get(row.payment_method,
                                                          row.payment_method),
                      "payments": row.payments, "amount": amount, "refunded": refunded,
                      "net": amount - refunded})
    return Report("sales.payment_method", "Vendas por forma de pagamento",
                  (Column("payment_method", "Forma de pagamento", "text"), *PAYMENT_FIGURES),
                  found)


def _listed(rows: Iterable) -> list[dict[str, Any]]:
    return [{"order_number": row.order_number, "created_at": row.created_at,
             "operator": operator_of(row), "source": row.source, "subtotal": row.subtotal,
             "discount": row.discount, "total": row.total} for row in rows]


async def cancellations(conn: AsyncConnection, store_id: str, period: Period) -> Report:
    rows = await _orders(conn, store_id, period, orders.c.status == OrderStatus.CANCELLED)
    return Report("cancellations", "Cancelamentos", ORDER_LIST, _listed(rows))


async def discounts(conn: AsyncConnection, store_id: str, period: Period) -> Report:
    rows = await _orders(conn, store_id, period, _sold(), orders.c.discount > 0)
    return Report("discounts", "Descontos", ORDER_LIST, _listed(rows))


BY_ORDER = ("day", "hour", "operator")
BY_ITEM = ("product", "category")
SALES_BY = (*BY_ORDER, *BY_ITEM, "payment_method")


async def sales(conn: AsyncConnection, store_id: str, period: Period, by: str) -> Report:
    if by in BY_ORDER:
        return await sales_by_order(conn, store_id, period, by)
    if by in BY_ITEM:
        return await sales_by_item(conn, store_id, period, by)
    return await sales_by_payment_method(conn, store_id, period)
