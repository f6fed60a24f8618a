"""Request bodies and queries of the fiscal API."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from pydantic import Field, ValidationInfo, field_validator

from posmodern.core.bodies import Strict
from posmodern.plugins.fiscal.checks import cpf_problem, digits
from posmodern.plugins.fiscal.documents import DocumentStatus
from posmodern.plugins.fiscal.nfce import ICMS_GROUPS, OTHERS, RETAINED_ST, TAXED

#: The fields of the ICMS-ST retained before that go together (vICMSSubstituto may be left out).
ST_TOGETHER = ("st_retained_base", "st_rate", "st_retained_icms")


def _percent(description: str) -> Any:
    """An optional rate in %, checked even when left out (its CST may require it)."""
    return Field(None, ge=0, le=100, decimal_places=4, validate_default=True,
                 description=description)


def _per_unit(description: str) -> Any:
    """An optional amount per unit sold (R$, 4 places), checked even when left out."""
    return Field(None, ge=0, lt=Decimal("1e10"), decimal_places=4, validate_default=True,
                 description=description)


class ProductFiscal(Strict):
    ncm: str = Field(pattern=r"^\d{8}$", description="NCM, 8 digits (21069090)")
    cfop: str = Field("5102", pattern=r"^5\d{3}$",
                      description="CFOP of a sale inside the state (NFC-e: 5xxx)")
    cst: str = Field("102", description="CSOSN (Simples Nacional, CRT 1/4: 102, 103, 300, 400, "
                                        "500, 900) or ICMS CST (regime normal, CRT 2/3: 00, 20, "
                                        "40, 41, 50, 60, 90); it must fit the store's CRT")
    origin: int = Field(0, ge=0, le=8, description="Origin of the goods (0 nacional)")
    cest: str | None = Field(None, pattern=r"^\d{7}$", description="CEST, when the NCM has one")
    cst_ibscbs: str = Field("000", pattern=r"^\d{3}$", description="CST of IBS/CBS")
    cclass_trib: str = Field("000001", pattern=r"^\d{6}$",
                             description="cClassTrib of IBS/CBS (000001: tributação integral)")
    ibs_rate: Decimal = Field(Decimal("0.1"), ge=0, le=100, decimal_places=4,
                              description="IBS rate in % (2026 test rate: 0.1)")
    cbs_rate: Decimal = Field(Decimal("0.9"), ge=0, le=100, decimal_places=4,
                              description="CBS rate in % (2026 test rate: 0.9)")
    icms_rate: Decimal | None = Field(None, ge=0, le=100, decimal_places=4,
                                      validate_default=True,
                                      description="pICMS in %: required for CST 00 and 20; "
                                                  "optional for CST 90 and CSOSN 900 (the "
                                                  "ICMS is computed when given)")
    icms_base_reduction: Decimal | None = _percent(
        "pRedBC in % (the share of the base left out): required for CST 20; optional for CST "
        "90 and CSOSN 900, with icms_rate")
    fcp_rate: Decimal | None = _percent(
        "pFCP in % (Fundo de Combate à Pobreza, on the ICMS base): CST 00, 20 and 90 (with "
        "icms_rate) only, where the state charges it")
    # CST 60 / CSOSN 500 (ICMS charged before by substitution): what the state may ask on the
    # note, from the supplier's invoice. Amounts per unit sold.
    st_retained_base: Decimal | None = _per_unit(
        "vBCSTRet per unit (R$): the ST base retained before; CST 60 / CSOSN 500")
    st_rate: Decimal | None = _percent(
        "pST in %: the rate borne by the final consumer; CST 60 / CSOSN 500")
    st_substitute_icms: Decimal | None = _per_unit(
        "vICMSSubstituto per unit (R$): the substitute's own ICMS (optional)")
    st_retained_icms: Decimal | None = _per_unit(
        "vICMSSTRet per unit (R$): the ICMS-ST retained before; goes with "
                    "st_retained_base and st_rate")
    effective_base_reduction: Decimal | None = _percent(
        "pRedBCEfet in % (optional, 0 when left out): CST 60 / CSOSN 500")
    effective_icms_rate: Decimal | None = _percent(
        "pICMSEfet in %: the effective ICMS of the sale, where the state asks it; "
                    "CST 60 / CSOSN 500")

    @field_validator("ncm")
    @classmethod
    def _real_ncm(cls, value: str) -> str:
        if value == "00000000":
            raise ValueError("NCM 00000000 is for services; a product needs its own NCM")
        return value

    @field_validator("cst")
    @classmethod
    def _known_cst(cls, value: str) -> str:
        if value not in ICMS_GROUPS:
            raise ValueError(f"CST/CSOSN {value} is not supported; use one of "
                             f"{', '.join(ICMS_GROUPS)}")
        return value

    @field_validator("icms_rate", "icms_base_reduction")
    @classmethod
    def _icms_rates(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        # Checked field by field (validate_default), so an error names its field.
        cst = info.data.get("cst")
        if cst is None:
            return value  # the CST itself was refused
        rate, needs = (("icms_rate (pICMS, %)", TAXED) if info.field_name == "icms_rate"
                       else ("icms_base_reduction (pRedBC, %)", ("20",)))
        if cst in needs and value is None:
            raise ValueError(f"CST {cst} needs {rate}")
        if value is None or cst in needs:
            return value
        if cst not in OTHERS:
            raise ValueError(f"{rate} is only for CST {' and '.join(needs)} (and CST 90 / "
                             f"CSOSN 900), not {cst}")
        if info.field_name == "icms_base_reduction" and info.data.get("icms_rate") is None:
            raise ValueError(f"{rate} goes with icms_rate on CST {cst}")
        return value

    @field_validator("fcp_rate")
    @classmethod
    def _fcp_rate(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        cst = info.data.get("cst")
        if cst is None or value is None:
            return value
        if cst not in (*TAXED, "90"):
            raise ValueError(f"fcp_rate (pFCP, %) is only for CST {', '.join(TAXED)} and 90, "
                             f"not {cst}")
        if cst == "90" and info.data.get("icms_rate") is None:
            raise ValueError("fcp_rate (pFCP, %) goes with icms_rate on CST 90")
        return value

    @field_validator("st_retained_base", "st_rate", "st_substitute_icms", "st_retained_icms",
                     "effective_base_reduction", "effective_icms_rate")
    @classmethod
    def _retained(cls, value: Decimal | None, info: ValidationInfo) -> Decimal | None:
        cst = info.data.get("cst")
        if cst is None:
            return value
        if value is not None and cst not in RETAINED_ST:
            raise ValueError(f"{info.field_name} is only for CST 60 and CSOSN 500 (ICMS charged "
                             f"before by substitution), not {cst}")
        if info.field_name == "st_retained_icms":
            given = [name for name in (*ST_TOGETHER, "st_substitute_icms")
                     if (value if name == info.field_name else info.data.get(name)) is not None]
            missing = [name for name in ST_TOGETHER
                       if (value if name == info.field_name else info.data.get(name)) is None]
            if given and missing:
                raise ValueError(f"the ICMS-ST retained before needs {', '.join(ST_TOGETHER)} "
                                 f"together; missing: {', '.join(missing)}")
        if (info.field_name == "effective_icms_rate" and value is None
                and info.data.get("effective_base_reduction") is not None):
            raise ValueError("effective_base_reduction (pRedBCEfet) goes with "
                             "effective_icms_rate (pICMSEfet)")
        return value


class DocumentCreate(Strict):
    order_id: uuid.UUID
    cpf: str | None = Field(None, description="The consumer's CPF, printed on the note")

    @field_validator("cpf")
    @classmethod
    def _cpf(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        problem = cpf_problem(value)
        if problem:
            raise ValueError(problem)
        return digits(value)


class DocumentCancel(Strict):
    reason: str = Field(min_length=15, max_length=255,
                        description="Why the note is cancelled (15 to 255 characters)")
    substitute_key: str | None = Field(
        None, pattern=r"^\d{44}$",
        description="The access key of the authorised contingency NFC-e of the same sale that "
                    "replaced this one: cancels by substitution (event 110112, within "
                    "POS_FISCAL_SUBSTITUTION_HOURS, 168 h) instead of event 110111 (within "
                    "POS_FISCAL_CANCEL_MINUTES, 30 minutes in most states)")


class DocumentEmail(Strict):
    to: str = Field(min_length=6, max_length=254,
                    pattern=r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]{2,}$",
                    description="The consumer's e-mail address (not stored)")


class DocumentQuery(Strict):
    order_id: uuid.UUID | None = None
    status: DocumentStatus | None = None
    limit: int = Field(50, ge=1, le=1000)
