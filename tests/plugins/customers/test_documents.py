"""CPF and CNPJ check digits, including the alphanumeric CNPJ of July 2026."""

import pytest

from posmodern.plugins.customers.documents import CNPJ, CPF, parse


@pytest.mark.parametrize("raw, kind, number", [
    ("529.982.247-25", CPF, "52998224725"),
    ("52998224725", CPF, "52998224725"),
    ("11.222.333/0001-81", CNPJ, "11222333000181"),
    ("12.abc.345/01de-35", CNPJ, "12ABC34501DE35"),
])
def test_valid_documents_are_normalized(raw, kind, number):
    document = parse(raw)
    assert (document.kind, document.number) == (kind, number)


@pytest.mark.parametrize("raw, kind, problem", [
    ("529.982.247-24", None, "CPF check digits"),
    ("111.111.111-11", None, "CPF check digits"),
    ("11.222.333/0001-82", None, "CNPJ check digits"),
    ("00000000000000", None, "CNPJ check digits"),
    ("1234567", None, "not a CPF"),
    ("52998224725", CNPJ, "a CNPJ has 14"),
    ("11222333000181", CPF, "a CPF has 11"),
    ("12ABC34501DE3X", None, "not a CPF"),
])
def test_invalid_documents_say_why(raw, kind, problem):
    with pytest.raises(ValueError, match=problem):
        parse(raw, kind)
