"""The CF-e de venda of a paid order and the CF-e de cancelamento, written with satcfe's
entities (``documento()`` builds and checks the XML without a device)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from posmodern.plugins.sat import settings as spec

CENT, MILLI = Decimal("0.01"), Decimal("0.001")
#: cMP of the CF-e by the payment's method (the others are "99", outros).
CMP = {"cash": "01", "credit_card": "03", "debit_card": "04", "voucher": "10", "pix": "17"}


class CFeInvalid(Exception):
    """The sale cannot be written as a CF-e: the message says what to fix."""


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    quantity: Decimal
    subtotal: Decimal
    #: The product's own fiscal data (``/api/v1/fiscal/products``), when it has them: instead
    #: of the store's CFOP and CSOSN, with its NCM and origin.
    ncm: str | None = None
    cfop: str | None = None
    csosn: str | None = None
    origin: int | None = None


def _unit(line: Line) -> Decimal:
    return (line.subtotal / line.quantity).quantize(CENT) if line.quantity else line.subtotal


def items_total(lines: list[Line]) -> Decimal:
    """What the device adds up from the items (each ``qCom × vUnCom`` to the cent)."""
    return sum(((line.quantity * _unit(line)).quantize(CENT) for line in lines), Decimal("0"))


def _missing(store: dict[str, Any]) -> list[str]:
    needed = (spec.UF, spec.LIBRARY, spec.ACTIVATION_CODE, spec.CNPJ, spec.IE,
              spec.SOFTWARE_HOUSE_CNPJ, spec.SIGN_AC)
    return [s.name for s in needed if not store.get(s.name)]


def sale_xml(store: dict[str, Any], lines: list[Line], total: Decimal,
             tenders: list[dict[str, Any]], cpf: str | None = None) -> str:
    """The CF-e de venda (dadosVenda) of ``lines`` paid by ``tenders``; the difference between
    the items and ``total`` (discount, service charge) goes on the subtotal (DescAcrEntr)."""
    import cerberus
    from satcfe import entidades as e

    missing = _missing(store)
    if missing:
        raise CFeInvalid("a loja não tem os dados do SAT: " + ", ".join(missing))
    if not lines:
        raise CFeInvalid("o pedido não tem itens")
    if not tenders:
        raise CFeInvalid("o pedido não tem pagamentos")
    wrong = [f"{line.name} (CSOSN {line.csosn})" for line in lines
             if line.csosn is not None and line.csosn not in spec.CSOSN]
    if wrong:
        raise CFeInvalid("o SAT desta loja (Simples Nacional, ICMSSN102) aceita os CSOSN "
                         f"{', '.join(spec.CSOSN)}; produtos com outro: {', '.join(wrong)}")
    details = [e.Detalhamento(
        produto=e.ProdutoServico(cProd=line.code[:60], xProd=(line.name or line.code)[:120],
                                 CFOP=line.cfop or store[spec.CFOP.name], uCom="UN",
                                 qCom=line.quantity.quantize(MILLI), vUnCom=_unit(line),
                                 indRegra="A", **({"NCM": line.ncm} if line.ncm else {})),
        imposto=e.Imposto(icms=e.ICMSSN102(Orig=str(line.origin or 0),
                                           CSOSN=line.csosn or store[spec.ICMS_CSOSN.name]),
                          pis=e.PISSN(CST="49"), cofins=e.COFINSSN(CST="49")))
        for line in lines]
    difference = (total - items_total(lines)).quantize(CENT)
    adjustment = None
    if difference < 0:
        adjustment = e.DescAcrEntr(vDescSubtot=-difference)
    elif difference > 0:
        adjustment = e.DescAcrEntr(vAcresSubtot=difference)
    # vMP is what the customer handed over: the device works the change out (vTroco).
    payments = [e.MeioPagamento(cMP=CMP.get(t.get("method") or "", "99"),
                                vMP=(Decimal(str(t["amount"]))
                                     + Decimal(str(t.get("change_due") or 0))).quantize(CENT))
                for t in tenders]
    sale = e.CFeVenda(
        CNPJ=store[spec.SOFTWARE_HOUSE_CNPJ.name], signAC=store[spec.SIGN_AC.name],
        numeroCaixa=store[spec.REGISTER.name],
        emitente=e.Emitente(CNPJ=store[spec.CNPJ.name], IE=store[spec.IE.name],
                            indRatISSQN="N"),
        destinatario=e.Destinatario(CPF=cpf) if cpf else None,
        detalhamentos=details, descontos_acrescimos_subtotal=adjustment, pagamentos=payments)
    try:
        return sale.documento()
    except cerberus.DocumentError as exc:
        raise CFeInvalid(f"{exc}: {_errors(sale, details, payments)}") from exc


def _errors(*entities: Any) -> str:
    found: dict[str, Any] = {}
    for entity in entities:
        for item in entity if isinstance(entity, list) else [entity]:
            for part in (item, getattr(item, "produto", None), getattr(item, "emitente", None)):
                if part is not None:
                    found.update(part.erros)
    return str(found)


def cancel_xml(store: dict[str, Any], access_key: str, cpf: str | None = None) -> str:
    """The CF-e de cancelamento of the CF-e ``access_key`` ("CFe" + 44 digits)."""
    import cerberus
    from satcfe import entidades as e

    missing = [s.name for s in (spec.SOFTWARE_HOUSE_CNPJ, spec.SIGN_AC) if not store.get(s.name)]
    if missing:
        raise CFeInvalid("a loja não tem os dados do SAT: " + ", ".join(missing))
    cancel = e.CFeCancelamento(
        chCanc=access_key, CNPJ=store[spec.SOFTWARE_HOUSE_CNPJ.name],
        signAC=store[spec.SIGN_AC.name], numeroCaixa=store[spec.REGISTER.name],
        destinatario=e.Destinatario(CPF=cpf) if cpf else None)
    try:
        return cancel.documento()
    except cerberus.DocumentError as exc:
        raise CFeInvalid(f"{exc}: {cancel.erros}") from exc
