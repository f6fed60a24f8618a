"""Brazilian tax ids: CPF (people) and CNPJ (companies), checked by their check digits.

CNPJs may be alphanumeric from July 2026 (Receita Federal, IN RFB 2.229/2024): twelve letters or
digits and two check digits, each character weighing its ASCII code minus 48, so the classic
all-digit CNPJ is the special case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CPF, CNPJ = "CPF", "CNPJ"
_SEPARATORS = re.compile(r"[\s./-]")
_CPF = re.compile(r"^\d{11}$")
_CNPJ = re.compile(r"^[0-9A-Z]{12}\d{2}$")


@dataclass(frozen=True)
class Document:
    kind: str
    number: str  # normalized: digits (and, for new CNPJs, capital letters), no punctuation


def _check_digit(values: list[int], weights: list[int]) -> int:
    remainder = sum(v * w for v, w in zip(values, weights, strict=True)) % 11
    return 0 if remainder < 2 else 11 - remainder


def _cpf_ok(number: str) -> bool:
    digits = [int(c) for c in number]
    if len(set(digits)) == 1:
        return False
    first = _check_digit(digits[:9], list(range(10, 1, -1)))
    second = _check_digit(digits[:10], list(range(11, 1, -1)))
    return digits[9:] == [first, second]


def _cnpj_ok(number: str) -> bool:
    values = [ord(c) - 48 for c in number]
    if len(set(values)) == 1:
        return False
    weights = [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2]
    first = _check_digit(values[:12], weights)
    second = _check_digit(values[:13], [6, *weights])
    return values[12:] == [first, second]


def parse(raw: str, kind: str | None = None) -> Document:
    """The document ``raw`` names, punctuation removed; ``ValueError`` saying what is wrong."""
    number = _SEPARATORS.sub("", raw).upper()
    if kind not in (None, CPF, CNPJ):
        raise ValueError("document_type must be CPF or CNPJ")
    if _CPF.match(number) and kind in (None, CPF):
        if not _cpf_ok(number):
            raise ValueError("CPF check digits do not match")
        return Document(CPF, number)
    if _CNPJ.match(number) and kind in (None, CNPJ):
        if not _cnpj_ok(number):
            raise ValueError("CNPJ check digits do not match")
        return Document(CNPJ, number)
    expected = {CPF: "a CPF has 11 digits", CNPJ: "a CNPJ has 14 characters"}
    raise ValueError(expected.get(kind, "not a CPF (11 digits) or CNPJ (14 characters)"))


def mask(number: str) -> str:
    """A normalized CPF/CNPJ with only its middle shown (``***.456.789-**``), as Brazil's
    public bodies print them: enough to tell two customers apart, not to use the number."""
    if len(number) == 11:
        return f"***.{number[3:6]}.{number[6:9]}-**"
    if len(number) == 14:
        return f"**.{number[2:5]}.{number[5:8]}/****-**"
    return "*" * len(number)
