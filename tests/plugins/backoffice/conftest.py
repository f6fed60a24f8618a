"""Fixtures of the back office's tests: an app with the plugins whose data it shows."""

from __future__ import annotations

import pytest

BACKOFFICE_PLUGINS = ["auth", "catalog", "customers", "orders", "payments", "settings",
                      "backoffice"]


@pytest.fixture
def app_plugins() -> list[str]:
    return BACKOFFICE_PLUGINS
