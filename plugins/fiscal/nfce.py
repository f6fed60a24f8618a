"""The NFC-e's XML (layout 4.00 with the IBS/CBS groups of NT 2025.002), validated against the
official schemas that nfelib ships.

Pure: it takes the issuer, the lines and the tenders and returns the ``NFe`` element; the caller
numbers, signs and stores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from pathlib import Path

import nfelib
from lxml import etree

NFE = "http://www.portalfiscal.inf.br/nfe"
VERSION = "4.00"
SCHEMAS = Path(nfelib.__file__).resolve().parent / "nfe" / "schemas" / "v4_0"
CENTS = Decimal("0.01")
ZERO = Decimal("0.00")
#: tPag of each tender method the payments plugin records.
TPAG = {"cash": "01", "credit_card": "03", "debit_card": "04", "pix": "17", "voucher": "10",
        "boleto": "15"}
CARDS = ("03", "04", "17")
#: CSOSN of the Simples Nacional (CRT 1 and 4) the builder knows, and their group. CSOSN 101
#: (credit for the buyer) and the ST charged in the sale (201-203) are left out: an NFC-e sells
#: to the final consumer, who takes no ICMS credit, and a restaurant is not the ST substitute.
CSOSN_GROUPS = {"102": "ICMSSN102", "103": "ICMSSN102", "300": "ICMSSN102",
                "400": "ICMSSN102", "500": "ICMSSN500", "900": "ICMSSN900"}
#: CST of the regime normal (CRT 2 and 3) the builder knows, and their group.
CST_GROUPS = {"00": "ICMS00", "20": "ICMS20", "40": "ICMS40", "41": "ICMS40", "50": "ICMS40",
              "60": "ICMS60", "90": "ICMS90"}
ICMS_GROUPS = {**CSOSN_GROUPS, **CST_GROUPS}
#: The CSTs whose ICMS the note computes (vBC, pICMS, vICMS): they need a rate.
TAXED = ("00", "20")
#: "Outras" (CST 90, CSOSN 900): ICMS computed only when the product gives a rate, on the base
#: less its reduction when it gives one.
OTHERS = ("90", "900")
#: ICMS charged before by substitution: the ST retained and the effective ICMS may be told.
RETAINED_ST = ("60", "500")
RETAINED_FIELDS = ("st_retained_base", "st_rate", "st_substitute_icms", "st_retained_icms",
                   "effective_base_reduction", "effective_icms_rate")
SIMPLES = ("1", "4")
#: modBC 3: the ICMS base is the value of the operation.
MOD_BC = 3
VERSION_APP = "pos-modern 0.1"


class SchemaInvalid(Exception):
    """The XML does not follow the official schema; ``errors`` lists the schema's messages."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors[:5]))
        self.errors = errors


def money(value: Decimal) -> str:
    return str(Decimal(value).quantize(CENTS, ROUND_HALF_EVEN))


def rate(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.0001")))


def icms_codes(crt: str) -> tuple[str, ...]:
    """The CSOSN (Simples Nacional, MEI) or CST (regime normal) codes a store of ``crt`` may
    give its products."""
    return tuple(CSOSN_GROUPS if crt in SIMPLES else CST_GROUPS)


@dataclass(frozen=True)
class Issuer:
    cnpj: str
    ie: str
    crt: str
    name: str
    trade_name: str
    street: str
    street_number: str
    district: str
    city: str
    city_code: str
    uf: str
    uf_code: str
    cep: str


@dataclass(frozen=True)
class Line:
    code: str
    name: str
    quantity: Decimal
    unit_price: Decimal
    total: Decimal
    ncm: str
    cfop: str
    cst: str
    origin: int
    cest: str | None
    cst_ibscbs: str
    cclass_trib: str
    ibs_rate: Decimal
    cbs_rate: Decimal
    discount: Decimal = ZERO
    other: Decimal = ZERO
    #: pICMS and pRedBC in % (CST 00 and 20; 90 and 900 optional); pFCP in % (CST 00, 20
    #: and 90, optional).
    icms_rate: Decimal | None = None
    icms_base_reduction: Decimal | None = None
    fcp_rate: Decimal | None = None
    #: CST 60 / CSOSN 500: the ST retained before, per unit (pST in %), and the effective ICMS.
    st_retained_base: Decimal | None = None
    st_rate: Decimal | None = None
    st_substitute_icms: Decimal | None = None
    st_retained_icms: Decimal | None = None
    effective_base_reduction: Decimal | None = None
    effective_icms_rate: Decimal | None = None

    @property
    def base(self) -> Decimal:
        return self.total - self.discount + self.other

    @property
    def taxed(self) -> bool:
        return self.cst in TAXED or (self.cst in OTHERS and self.icms_rate is not None)

    @property
    def icms_base(self) -> Decimal:
        """vBC: the item's value less its reduction (CST 20, 90, 900), to the cent (zero
        untaxed)."""
        if not self.taxed:
            return ZERO
        kept = 100 - (self.icms_base_reduction or ZERO) if self.cst != "00" else Decimal(100)
        return (self.base * kept / 100).quantize(CENTS, ROUND_HALF_EVEN)

    @property
    def icms(self) -> Decimal:
        """vICMS of the item, to the cent; the note's total is the sum of these."""
        if not self.taxed:
            return ZERO
        return (self.icms_base * self.icms_rate / 100).quantize(CENTS, ROUND_HALF_EVEN)

    @property
    def fcp(self) -> Decimal:
        """vFCP: the Fundo de Combate à Pobreza on the ICMS base (vBCFCP, the reduced one of
        CST 20), to the cent; zero when the product has no pFCP."""
        if not self.taxed or self.fcp_rate is None:
            return ZERO
        return (self.icms_base * self.fcp_rate / 100).quantize(CENTS, ROUND_HALF_EVEN)

    def per_item(self, per_unit: Decimal) -> Decimal:
        """A per-unit amount times the quantity, to the cent."""
        return (per_unit * self.quantity).quantize(CENTS, ROUND_HALF_EVEN)

    @property
    def effective_base(self) -> Decimal:
        """vBCEfet: the item's value less pRedBCEfet, to the cent."""
        kept = 100 - (self.effective_base_reduction or ZERO)
        return (self.base * kept / 100).quantize(CENTS, ROUND_HALF_EVEN)

    @property
    def effective_icms(self) -> Decimal:
        """vICMSEfet: vBCEfet × pICMSEfet, to the cent."""
        return (self.effective_base * (self.effective_icms_rate or ZERO) / 100).quantize(
            CENTS, ROUND_HALF_EVEN)

    @property
    def ibs(self) -> Decimal:
        return (self.base * self.ibs_rate / 100).quantize(CENTS, ROUND_HALF_EVEN)

    @property
    def cbs(self) -> Decimal:
        return (self.base * self.cbs_rate / 100).quantize(CENTS, ROUND_HALF_EVEN)


@dataclass(frozen=True)
class Tender:
    tpag: str
    amount: Decimal


@dataclass(frozen=True)
class Note:
    key: str
    number: int
    series: int
    code: str
    issued: datetime
    environment: str
    lines: tuple[Line, ...]
    tenders: tuple[Tender, ...]
    change: Decimal = ZERO
    cpf: str | None = None
    contingency_at: datetime | None = None
    contingency_reason: str | None = None
    info: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return sum((line.base for line in self.lines), ZERO)


def spread(amount: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``amount`` split in cents in proportion to ``weights``, the rounding left on the largest."""
    whole = sum(weights, ZERO)
    if not amount or not whole:
        return [ZERO for _ in weights]
    parts = [(amount * w / whole).quantize(CENTS, ROUND_HALF_EVEN) for w in weights]
    largest = max(range(len(weights)), key=lambda i: weights[i])
    parts[largest] += amount - sum(parts, ZERO)
    return parts


def _el(parent: etree._Element, tag: str, text: object = None) -> etree._Element:
    child = etree.SubElement(parent, f"{{{NFE}}}{tag}")
    if text is not None:
        child.text = str(text)
    return child


def _fill(parent: etree._Element, *pairs: tuple[str, object]) -> etree._Element:
    for tag, text in pairs:
        if text is not None:
            _el(parent, tag, text)
    return parent


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _ide(inf: etree._Element, issuer: Issuer, note: Note) -> None:
    ide = _fill(_el(inf, "ide"), ("cUF", issuer.uf_code), ("cNF", note.code),
                ("natOp", "VENDA"), ("mod", "65"), ("serie", note.series), ("nNF", note.number),
                ("dhEmi", _when(note.issued)), ("tpNF", 1), ("idDest", 1),
                ("cMunFG", issuer.city_code), ("tpImp", 4),
                ("tpEmis", 9 if note.contingency_at else 1), ("cDV", note.key[-1]),
                ("tpAmb", note.environment), ("finNFe", 1), ("indFinal", 1), ("indPres", 1),
                ("procEmi", 0), ("verProc", VERSION_APP))
    if note.contingency_at:
        _fill(ide, ("dhCont", _when(note.contingency_at)), ("xJust", note.contingency_reason))


def _emit(inf: etree._Element, issuer: Issuer) -> None:
    emit = _fill(_el(inf, "emit"), ("CNPJ", issuer.cnpj), ("xNome", issuer.name),
                 ("xFant", issuer.trade_name or None))
    _fill(_el(emit, "enderEmit"), ("xLgr", issuer.street), ("nro", issuer.street_number),
          ("xBairro", issuer.district), ("cMun", issuer.city_code), ("xMun", issuer.city),
          ("UF", issuer.uf), ("CEP", issuer.cep), ("cPais", 1058), ("xPais", "BRASIL"))
    _fill(emit, ("IE", issuer.ie), ("CRT", issuer.crt))


def _icms(imposto: etree._Element, line: Line) -> None:
    group = _el(_el(imposto, "ICMS"), ICMS_GROUPS[line.cst])
    if line.cst in CSOSN_GROUPS:
        _fill(group, ("orig", line.origin), ("CSOSN", line.cst))
    else:
        _fill(group, ("orig", line.origin), ("CST", line.cst))
    if line.cst in RETAINED_ST:
        _retained(group, line)
    if not line.taxed:
        return
    reduction = (None if line.icms_base_reduction is None
                 else rate(line.icms_base_reduction))
    if line.cst == "20":  # ICMS20 tells the reduction before the base, 90 and 900 after it
        _fill(group, ("modBC", MOD_BC), ("pRedBC", reduction or rate(ZERO)),
              ("vBC", money(line.icms_base)))
    else:
        _fill(group, ("modBC", MOD_BC), ("vBC", money(line.icms_base)), ("pRedBC", reduction))
    _fill(group, ("pICMS", rate(line.icms_rate)), ("vICMS", money(line.icms)))
    if line.fcp_rate is not None:
        _fill(group, ("vBCFCP", money(line.icms_base) if line.cst != "00" else None),
              ("pFCP", rate(line.fcp_rate)), ("vFCP", money(line.fcp)))


def _retained(group: etree._Element, line: Line) -> None:
    """ICMS60 / ICMSSN500: the ST retained before and the effective ICMS, when the product has
    them (the schema's optional sequences, in its order)."""
    if line.st_retained_base is not None:
        _fill(group, ("vBCSTRet", money(line.per_item(line.st_retained_base))),
              ("pST", rate(line.st_rate)),
              ("vICMSSubstituto", None if line.st_substitute_icms is None
               else money(line.per_item(line.st_substitute_icms))),
              ("vICMSSTRet", money(line.per_item(line.st_retained_icms))))
    if line.effective_icms_rate is not None:
        _fill(group, ("pRedBCEfet", rate(line.effective_base_reduction or ZERO)),
              ("vBCEfet", money(line.effective_base)),
              ("pICMSEfet", rate(line.effective_icms_rate)),
              ("vICMSEfet", money(line.effective_icms)))


def _ibscbs(imposto: etree._Element, line: Line) -> None:
    tax = _fill(_el(imposto, "IBSCBS"), ("CST", line.cst_ibscbs),
                ("cClassTrib", line.cclass_trib))
    group = _fill(_el(tax, "gIBSCBS"), ("vBC", money(line.base)))
    _fill(_el(group, "gIBSUF"), ("pIBSUF", rate(line.ibs_rate)), ("vIBSUF", money(line.ibs)))
    _fill(_el(group, "gIBSMun"), ("pIBSMun", rate(ZERO)), ("vIBSMun", money(ZERO)))
    _el(group, "vIBS", money(line.ibs))
    _fill(_el(group, "gCBS"), ("pCBS", rate(line.cbs_rate)), ("vCBS", money(line.cbs)))


def _det(inf: etree._Element, number: int, line: Line) -> None:
    det = _el(inf, "det")
    det.set("nItem", str(number))
    quantity = str(line.quantity.quantize(Decimal("0.0001")))
    unit = str(line.unit_price.quantize(Decimal("0.0000000001")))
    prod = _fill(_el(det, "prod"), ("cProd", line.code), ("cEAN", "SEM GTIN"),
                 ("xProd", line.name[:120]), ("NCM", line.ncm), ("CEST", line.cest),
                 ("CFOP", line.cfop), ("uCom", "UN"), ("qCom", quantity), ("vUnCom", unit),
                 ("vProd", money(line.total)), ("cEANTrib", "SEM GTIN"), ("uTrib", "UN"),
                 ("qTrib", quantity), ("vUnTrib", unit))
    _fill(prod, ("vDesc", money(line.discount) if line.discount else None),
          ("vOutro", money(line.other) if line.other else None), ("indTot", 1))
    imposto = _el(det, "imposto")
    _icms(imposto, line)
    _ibscbs(imposto, line)


def _total(inf: etree._Element, note: Note) -> None:
    lines = note.lines
    total = _el(inf, "total")
    sums = {"vProd": sum((x.total for x in lines), ZERO),
            "vDesc": sum((x.discount for x in lines), ZERO),
            "vOutro": sum((x.other for x in lines), ZERO)}
    # SEFAZ checks the totals against the sum of the items, each rounded to the cent.
    icms = _fill(_el(total, "ICMSTot"), ("vBC", money(sum((x.icms_base for x in lines), ZERO))),
                 ("vICMS", money(sum((x.icms for x in lines), ZERO))),
                 ("vICMSDeson", money(ZERO)),
                 ("vFCP", money(sum((x.fcp for x in lines), ZERO))),
                 *((name, money(ZERO)) for name in ("vBCST", "vST", "vFCPST", "vFCPSTRet")))
    _fill(icms, ("vProd", money(sums["vProd"])), ("vFrete", money(ZERO)),
          ("vSeg", money(ZERO)), ("vDesc", money(sums["vDesc"])),
          *((name, money(ZERO)) for name in ("vII", "vIPI", "vIPIDevol", "vPIS", "vCOFINS")),
          ("vOutro", money(sums["vOutro"])), ("vNF", money(note.total)))
    ibs = sum((x.ibs for x in lines), ZERO)
    cbs = sum((x.cbs for x in lines), ZERO)
    tot = _fill(_el(total, "IBSCBSTot"), ("vBCIBSCBS", money(note.total)))
    gibs = _el(tot, "gIBS")
    _fill(_el(gibs, "gIBSUF"), ("vDif", money(ZERO)), ("vDevTrib", money(ZERO)),
          ("vIBSUF", money(ibs)))
    _fill(_el(gibs, "gIBSMun"), ("vDif", money(ZERO)), ("vDevTrib", money(ZERO)),
          ("vIBSMun", money(ZERO)))
    _fill(gibs, ("vIBS", money(ibs)), ("vCredPres", money(ZERO)),
          ("vCredPresCondSus", money(ZERO)))
    _fill(_el(tot, "gCBS"), ("vDif", money(ZERO)), ("vDevTrib", money(ZERO)),
          ("vCBS", money(cbs)), ("vCredPres", money(ZERO)), ("vCredPresCondSus", money(ZERO)))


def _pag(inf: etree._Element, note: Note) -> None:
    pag = _el(inf, "pag")
    for tender in note.tenders:
        det = _fill(_el(pag, "detPag"), ("tPag", tender.tpag), ("vPag", money(tender.amount)))
        if tender.tpag in CARDS:
            _el(_el(det, "card"), "tpIntegra", 2)
    if note.change:
        _el(pag, "vTroco", money(note.change))


def build(issuer: Issuer, note: Note) -> etree._Element:
    """The ``NFe`` element of ``note``, unsigned and without ``infNFeSupl``."""
    root = etree.Element(f"{{{NFE}}}NFe", nsmap={None: NFE})
    inf = etree.SubElement(root, f"{{{NFE}}}infNFe", Id=f"NFe{note.key}", versao=VERSION)
    _ide(inf, issuer, note)
    _emit(inf, issuer)
    if note.cpf:
        _fill(_el(inf, "dest"), ("CPF", note.cpf), ("indIEDest", 9))
    for number, line in enumerate(note.lines, start=1):
        _det(inf, number, line)
    _total(inf, note)
    _el(_el(inf, "transp"), "modFrete", 9)
    _pag(inf, note)
    if note.info:
        _el(_el(inf, "infAdic"), "infCpl", note.info[:5000])
    return root


def add_supplement(root: etree._Element, qr_url: str, consult_url: str) -> None:
    """``infNFeSupl`` (the QR code and the consultation URL) right after ``infNFe``."""
    supl = etree.Element(f"{{{NFE}}}infNFeSupl")
    _fill(supl, ("qrCode", qr_url), ("urlChave", consult_url))
    root.insert(1, supl)


@lru_cache(maxsize=8)
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path)))


def validate(element: etree._Element, schema: Path = SCHEMAS / "nfe_v4.00.xsd") -> None:
    """Raise :class:`SchemaInvalid` unless ``element`` follows the official ``schema``."""
    checker = _schema(schema)
    if not checker.validate(element):
        raise SchemaInvalid([f"{e.path}: {e.message}" for e in checker.error_log])
