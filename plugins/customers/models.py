"""Request bodies and queries of the customers plugin.

Phones and e-mails are normalized on the way in (a phone is its digits, without Brazil's 55; an
e-mail is lowercase), so a lookup finds a customer however the number or address was typed.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from posmodern.core.bodies import PageQuery, Patch, Strict

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"\D", "", raw)
    if len(digits) in (12, 13) and digits.startswith("55"):
        digits = digits[2:]
    if not 8 <= len(digits) <= 15:
        raise ValueError("a phone number has 8 to 15 digits")
    return digits


def normalize_email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 100 or not _EMAIL.match(email):
        raise ValueError("not an e-mail address")
    return email


class _Contact(Strict):
    @field_validator("phone", check_fields=False)
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return None if value is None else normalize_phone(value)

    @field_validator("email", check_fields=False)
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        return None if value is None else normalize_email(value)


DocumentType = Literal["CPF", "CNPJ"]


class CustomerCreate(_Contact):
    name: str = Field(min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    document_number: str | None = Field(default=None, max_length=30,
                                        description="CPF or CNPJ, with or without punctuation")
    document_type: DocumentType | None = Field(default=None,
                                               description="Inferred from the number if absent")
    address: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class CustomerUpdate(_Contact, Patch):
    required: ClassVar[frozenset[str]] = frozenset({"name"})
    name: str | None = Field(default=None, min_length=1, max_length=100)
    email: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    document_number: str | None = Field(default=None, max_length=30)
    document_type: DocumentType | None = None
    address: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class CustomerQuery(_Contact, PageQuery):
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=100)
    document: str | None = Field(default=None, max_length=30, description="CPF or CNPJ")
    q: str | None = Field(default=None, min_length=1, max_length=100,
                          description="Case-insensitive text contained in the name")
