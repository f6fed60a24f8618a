"""What is printed, in pt-BR: kitchen tickets, the customer receipt, the shift's reading and
closing, a test page, the drawer pulse.

Each function returns a document (see ``escpos.py``); widths and code pages are the renderer's.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from posmodern.core.money import ZERO

TITLES = {"kitchen": "PEDIDO", "addition": "ACRÉSCIMO", "void": "CANCELAMENTO"}
METHODS = {"cash": "Dinheiro", "pix": "PIX", "credit_card": "Cartão de crédito",
           "debit_card": "Cartão de débito", "card": "Cartão", "boleto": "Boleto",
           "voucher": "Vale-refeição"}


def brl(value: Any) -> str:
    """``Decimal("1234.5")`` as ``R$ 1.234,50``."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    sign = "-" if amount < ZERO else ""
    whole, cents = f"{abs(amount):,.2f}".split(".")
    return f"{sign}R$ {whole.replace(',', '.')},{cents}"


def quantity(value: Any) -> str:
    """``2.000`` as ``2``, ``0.350`` as ``0,35``."""
    amount = Decimal(str(value)).normalize()
    text = f"{amount:f}"
    return text.replace(".", ",")


def local_time(moment: datetime | str, timezone: str) -> str:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = ZoneInfo("America/Sao_Paulo")
    return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")


def option_label(option: dict[str, Any]) -> str:
    """An option chosen for an item, as the kitchen reads it: "+ Bacon" for an extra that is
    charged, "Ao ponto" for a choice that is not."""
    try:
        charged = Decimal(str(option.get("price") or 0)) > 0
    except ArithmeticError:
        charged = False
    return f"+ {option.get('name', '')}" if charged else str(option.get("name", ""))


def kitchen_ticket(kind: str, station: str, order: dict[str, Any], items: list[dict[str, Any]],
                   at: datetime, timezone: str, note: str | None = None) -> list[dict]:
    """A station's ticket: large text, one line per item with its notes."""
    doc: list[dict] = [
        {"op": "text", "text": f"{TITLES.get(kind, kind.upper())} - {station.upper()}",
         "align": "center", "bold": True, "large": True},
        {"op": "text", "text": f"Pedido #{order.get('order_number', '')}", "align": "center",
         "large": True},
        {"op": "text", "text": local_time(at, timezone), "align": "center"},
    ]
    if note:
        doc.append({"op": "text", "text": note, "align": "center", "bold": True})
    doc.append({"op": "rule"})
    for item in items:
        doc.append({"op": "text", "large": True, "bold": kind == "void",
                    "text": f"{quantity(item['quantity'])}x {item['product_name']}"})
        for option in item.get("modifiers") or []:
            doc.append({"op": "text", "bold": True, "text": f"  {option_label(option)}"})
        if item.get("notes"):
            doc.append({"op": "text", "text": f"  Obs: {item['notes']}"})
        for extra in item.get("customizations") or []:
            label = extra.get("name") if isinstance(extra, dict) else str(extra)
            if label:
                doc.append({"op": "text", "text": f"  + {label}"})
    if order.get("notes"):
        doc += [{"op": "rule"}, {"op": "text", "text": f"Obs. do pedido: {order['notes']}"}]
    return doc + [{"op": "feed", "lines": 2}, {"op": "cut"}]


def receipt(order: dict[str, Any], tenders: list[dict[str, Any]], header: str,
            at: datetime, timezone: str, extras: list[dict[str, Any]], *,
            titles: tuple[str, ...] = ("CUPOM NÃO FISCAL",)) -> list[dict]:
    """The customer's receipt: items, totals, how it was paid, change, and fiscal lines if any.

    A tender's ``amount`` is what it paid of the order; cash handed over beyond it is its
    ``change_due``, so the customer sees what they gave and the change apart. ``titles``: the
    lines under the header when there are no fiscal lines."""
    doc: list[dict] = [{"op": "text", "text": line.strip(), "align": "center", "bold": True}
                       for line in header.split("|") if line.strip()]
    fiscal = [line for extra in extras for line in extra.get("lines", [])]
    if not fiscal:
        doc += [{"op": "text", "text": title, "align": "center"} for title in titles]
    doc += [{"op": "pair", "left": f"Pedido #{order.get('order_number', '')}",
             "right": local_time(at, timezone)},
            {"op": "rule"}]
    for item in order.get("items", []):
        doc.append({"op": "pair", "left": f"{quantity(item['quantity'])}x "
                    f"{item['product_name']}", "right": brl(item["subtotal"])})
        doc += [{"op": "text", "text": f"  {option_label(option)}"}
                for option in item.get("modifiers") or []]
    doc += [{"op": "rule"}, {"op": "pair", "left": "Subtotal", "right": brl(order["subtotal"])}]
    for adjustment in order.get("adjustments") or []:
        doc.append({"op": "pair", "left": adjustment["name"],
                    "right": brl(adjustment["amount"])})
    if Decimal(str(order.get("discount") or 0)) > ZERO:
        doc.append({"op": "pair", "left": "Desconto",
                    "right": brl(-Decimal(str(order["discount"])))})
    doc.append({"op": "pair", "left": "TOTAL", "right": brl(order["total"]), "bold": True})
    change = ZERO
    for tender in tenders:
        method = METHODS.get(tender.get("method", ""), str(tender.get("method", "")).title())
        given = Decimal(str(tender.get("change_due") or 0))
        change += given
        doc.append({"op": "pair", "left": method,
                    "right": brl(Decimal(str(tender.get("amount") or 0)) + given)})
    if change > ZERO:
        doc.append({"op": "pair", "left": "Troco", "right": brl(change)})
    if fiscal:
        doc.append({"op": "rule"})
        doc += [{"op": "text", "text": line, "align": "center"} for line in fiscal]
    for extra in extras:
        if extra.get("qr"):
            doc.append({"op": "qr", "data": extra["qr"]})
    return doc + [{"op": "rule"},
                  {"op": "text", "text": "Obrigado pela preferência!", "align": "center"},
                  {"op": "feed", "lines": 2}, {"op": "cut"}]


def bill_check(order: dict[str, Any], table_number: str, balance: dict[str, Any],
               header: str, at: datetime, timezone: str) -> list[dict]:
    """The "conferência" a table asks for before paying: the receipt's lines, not fiscal, with
    what was paid already and what remains."""
    doc = receipt(order, [], header, at, timezone, [],
                  titles=(f"CONFERÊNCIA - MESA {table_number}", "NÃO É DOCUMENTO FISCAL"))
    end = next(n for n, op in enumerate(doc) if op.get("text") == "Obrigado pela preferência!")
    paid = Decimal(str(balance.get("paid") or 0))
    lines = [{"op": "pair", "left": "Já pago", "right": brl(paid)}] if paid > ZERO else []
    lines.append({"op": "pair", "left": "A PAGAR", "right": brl(balance.get("remaining", 0)),
                  "bold": True})
    return doc[:end - 1] + lines + doc[end - 1:]


REPORT_TITLES = {"reading": "LEITURA X", "closing": "FECHAMENTO DE CAIXA"}
MOVEMENTS = {"sangria": "Sangria", "suprimento": "Suprimento"}


def shift_report(report: dict[str, Any], header: str, timezone: str) -> list[dict]:
    """A shift's reading (leitura X) or closing (fechamento): the tenders by payment method and
    the drawer — float, cash in and out, what it should hold and, at the closing, what was
    counted and the difference."""
    shift = report["shift"]
    closing = report.get("kind") == "closing"
    money = lambda name: Decimal(str(shift.get(name) or 0))  # noqa: E731
    doc: list[dict] = [{"op": "text", "text": line.strip(), "align": "center", "bold": True}
                       for line in header.split("|") if line.strip()]
    doc += [{"op": "text", "text": REPORT_TITLES["closing" if closing else "reading"],
             "align": "center", "bold": True, "large": True},
            {"op": "text", "text": "NÃO É DOCUMENTO FISCAL", "align": "center"},
            {"op": "pair", "left": "Abertura", "right": local_time(shift["opened_at"], timezone)},
            {"op": "pair", "left": "Aberto por", "right": str(shift.get("opened_by") or "")},
            {"op": "pair", "left": "Fechamento" if closing else "Leitura",
             "right": local_time(report["at"], timezone)}]
    if closing:
        doc.append({"op": "pair", "left": "Fechado por", "right": str(shift.get("closed_by"))})
    doc += [{"op": "rule"}, {"op": "text", "text": "VENDAS POR FORMA DE PAGAMENTO", "bold": True}]
    total = ZERO
    for tender in report.get("tenders") or []:
        amount = Decimal(str(tender["amount"]))
        total += amount
        method = METHODS.get(tender["method"], str(tender["method"]).title())
        doc.append({"op": "pair", "left": f"{method} ({tender['count']})", "right": brl(amount)})
    doc += [{"op": "pair", "left": "Total", "right": brl(total), "bold": True},
            {"op": "rule"}, {"op": "text", "text": "GAVETA", "bold": True},
            {"op": "pair", "left": "Fundo de troco", "right": brl(money("opening_amount"))},
            {"op": "pair", "left": "Dinheiro recebido", "right": brl(money("cash_tendered"))},
            {"op": "pair", "left": "Troco dado", "right": brl(-money("change_given"))}]
    if money("cash_refunded"):
        doc.append({"op": "pair", "left": "Devolvido em dinheiro",
                    "right": brl(-money("cash_refunded"))})
    doc += [{"op": "pair", "left": "Suprimentos", "right": brl(money("suprimentos"))},
            {"op": "pair", "left": "Sangrias", "right": brl(-money("sangrias"))},
            {"op": "pair", "left": "Esperado na gaveta", "right": brl(money("expected_amount")),
             "bold": True}]
    if closing and shift.get("counted_amount") is not None:
        doc += [{"op": "pair", "left": "Contado", "right": brl(money("counted_amount"))},
                {"op": "pair", "left": "Diferença", "right": brl(money("difference")),
                 "bold": True}]
    movements = shift.get("movements") or []
    if movements:
        doc += [{"op": "rule"}, {"op": "text", "text": "SANGRIAS E SUPRIMENTOS", "bold": True}]
        for movement in movements:
            kind = MOVEMENTS.get(movement["kind"], movement["kind"])
            doc.append({"op": "pair", "right": brl(movement["amount"]), "left":
                        f"{local_time(movement['created_at'], timezone)[-5:]} {kind}"})
            if movement.get("reason"):
                doc.append({"op": "text", "text": f"  {movement['reason']}"})
    return doc + [{"op": "feed", "lines": 2}, {"op": "cut"}]


def test_page(printer_name: str, at: datetime, timezone: str) -> list[dict]:
    return [{"op": "text", "text": "TESTE DE IMPRESSÃO", "align": "center", "bold": True,
             "large": True},
            {"op": "text", "text": printer_name, "align": "center"},
            {"op": "text", "text": local_time(at, timezone), "align": "center"},
            {"op": "text", "text": "Acentuação: ação, pão, café, açúcar, coração"},
            {"op": "feed", "lines": 2}, {"op": "cut"}]


def drawer_pulse() -> list[dict]:
    return [{"op": "pulse"}]
