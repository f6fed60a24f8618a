"""Fixtures of the kitchen display's tests: tests/plugins/conftest.py's, serving the counter's
plugins and the kds."""

from __future__ import annotations

import pytest

KDS_PLUGINS = ["auth", "catalog", "customers", "orders", "waiter", "kds"]


@pytest.fixture
def app_plugins() -> list[str]:
    return KDS_PLUGINS


@pytest.fixture
def bar(staff, menu):
    """A bar station taking the drinks (the category of Guaraná lata)."""
    made = staff.post("/api/v1/kds/stations", "manager", json={
        "code": "bar", "name": "Bar", "category_ids": [menu["Guaraná lata"]["category_id"]],
        "warn_minutes": 3, "late_minutes": 6, "position": 1})
    assert made.status_code == 201, made.text
    return made.json()
