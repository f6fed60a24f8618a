"""Check digits and codes of Brazilian fiscal identifiers (CNPJ, CPF, NCM, IBGE codes).

Each check returns what is wrong with a value, or None; an empty value is left to the caller
(a setting not filled in yet).
"""

from __future__ import annotations

import re

_CNPJ = re.compile(r"^[0-9A-Z]{12}[0-9]{2}$")


def digits(value: str) -> str:
    """``value`` without the dots, dashes and slashes people type."""
    return re.sub(r"[.\-/\s]", "", value or "").upper()


def _cnpj_digit(body: str) -> int:
    # The alphanumeric CNPJ (from July 2026) weighs each character by its ASCII code minus 48,
    # which is the digit itself for the numeric ones.
    weights = list(range(len(body) - 7, 1, -1)) + list(range(9, 1, -1))
    total = sum((ord(char) - 48) * weight for char, weight in zip(body, weights))
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def cnpj_problem(value: str) -> str | None:
    """What is wrong with a CNPJ (numeric or alphanumeric), or None."""
    cnpj = digits(value)
    if not cnpj:
        return None
    if not _CNPJ.match(cnpj) or len(set(cnpj)) == 1:
        return "a CNPJ has 14 characters (12 letters or digits and 2 check digits)"
    if cnpj[12:] != f"{_cnpj_digit(cnpj[:12])}{_cnpj_digit(cnpj[:13])}":
        return "the CNPJ's check digits are wrong"
    return None


def _cpf_digit(body: str) -> int:
    total = sum(int(char) * weight for char, weight in zip(body, range(len(body) + 1, 1, -1)))
    rest = (total * 10) % 11
    return 0 if rest == 10 else rest


def cpf_problem(value: str) -> str | None:
    """What is wrong with a CPF, or None."""
    cpf = digits(value)
    if not cpf:
        return None
    if not re.fullmatch(r"\d{11}", cpf) or len(set(cpf)) == 1:
        return "a CPF has 11 digits"
    if cpf[9:] != f"{_cpf_digit(cpf[:9])}{_cpf_digit(cpf[:10])}":
        return "the CPF's check digits are wrong"
    return None


def ibge_city_problem(value: str) -> str | None:
    """What is wrong with a city's IBGE code (7 digits, the last a check digit), or None."""
    code = digits(value)
    if not code:
        return None
    if not re.fullmatch(r"\d{7}", code):
        return "an IBGE city code has 7 digits"
    return None


def cep_problem(value: str) -> str | None:
    code = digits(value)
    if code and not re.fullmatch(r"\d{8}", code):
        return "a CEP has 8 digits"
    return None
