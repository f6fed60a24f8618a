"""``/api/v1/settings``: a store's per-store settings, read and changed by its admin, on both
backends; a change takes effect on the next sale."""

from __future__ import annotations

import pytest
from posmodern.core import hookimpl
from posmodern.core.plugin_settings import MASK, SettingSpec
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.schema.tables import audit_log, configurations
from sqlalchemy import select
from starlette.testclient import TestClient
from support.api import Api, assert_error, make_store_users, make_tenant
from support.menu import create_menu, order_body
from support.settings import make_settings
from support.tenant_db import counts, events, fetch

PLUGINS = ["auth", "catalog", "orders", "settings"]
DISCOUNT = "POS_CASHIER_MAX_DISCOUNT_PERCENT"
PIX_KEY = "TIP_JAR_PIX_KEY"


class TipJar:
    """A plugin with a secret per-store setting (a store's own PIX key) and a process one."""

    @staticmethod
    @hookimpl
    def pos_settings():
        return [SettingSpec(PIX_KEY, secret=True, scope="store",
                            description="the store's PIX key for tips"),
                SettingSpec("TIP_JAR_TITLE", default="Gorjeta")]


def _app(settings):
    return create_app(settings, pm=get_plugin_manager(PLUGINS, extra=[("tip_jar", TipJar)]))


@pytest.fixture
def api(settings):
    with TestClient(_app(settings)) as client:
        yield Api(client, make_tenant(settings))


def _items(response) -> dict[str, dict]:
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def test_a_store_reads_its_settings_with_defaults_and_secrets_masked(api):
    items = _items(api.get("/api/v1/settings", "manager"))
    assert set(items) == {DISCOUNT, PIX_KEY}  # per-store only: TIP_JAR_TITLE is the process's
    discount = items[DISCOUNT]
    assert (discount["value"], discount["source"], discount["default"], discount["plugin"],
            discount["type"]) == ("10", "default", "10", "orders", "decimal")
    assert items[PIX_KEY]["value"] is None and items[PIX_KEY]["secret"] is True
    for role in ("cashier", "waiter", "kitchen"):
        assert_error(api.get("/api/v1/settings", role), 403)
    assert_error(api.get("/api/v1/settings", None), 401)


def test_an_admin_changes_a_limit_and_the_next_sale_follows_it(api, settings):
    menu = create_menu(api)
    body = order_body(menu, ("X-Burger", "2"))  # 53.80: 10 % is 5.38
    assert_error(api.post("/api/v1/orders", "cashier", json={**body, "discount": "8.07"}), 403,
                 "discount_not_allowed")
    changed = _items(api.patch("/api/v1/settings", json={DISCOUNT: "15"}))
    assert (changed[DISCOUNT]["value"], changed[DISCOUNT]["source"]) == ("15", "store")
    assert _items(api.get("/api/v1/settings"))[DISCOUNT]["value"] == "15"
    sale = api.post("/api/v1/orders", "cashier", json={**body, "discount": "8.07"})
    assert sale.status_code == 201, sale.text
    over = assert_error(api.post("/api/v1/orders", "cashier", json={**body, "discount": "8.08"}),
                        403, "discount_not_allowed")
    assert over["details"]["limit"] == "8.07"

    [event] = events(settings, api.tenant.client_id, "settings.changed")
    assert event["store_id"] == api.tenant.store_id
    assert event["data"]["changed"] == [{"name": DISCOUNT, "value": "15", "source": "store",
                                        "previous": "10"}]
    [entry] = fetch(settings, api.tenant.client_id, select(audit_log).where(
        audit_log.c.action == "settings.changed"))
    assert entry.username == "admin" and entry.details["changed"][0]["value"] == "15"

    # null: back to the value every store has; the same value again changes nothing.
    reset = _items(api.patch("/api/v1/settings", json={DISCOUNT: None}))
    assert (reset[DISCOUNT]["value"], reset[DISCOUNT]["source"]) == ("10", "default")
    api.patch("/api/v1/settings", json={DISCOUNT: None})
    assert len(events(settings, api.tenant.client_id, "settings.changed")) == 2


def test_each_store_has_its_own_values(api, settings):
    other = Api(api.client, make_store_users(settings, api.tenant.client_id, "store-2"))
    api.patch("/api/v1/settings", json={DISCOUNT: 20})
    assert _items(other.get("/api/v1/settings"))[DISCOUNT]["value"] == "10"
    assert _items(other.patch("/api/v1/settings", json={DISCOUNT: "0"}))[DISCOUNT]["value"] == "0"
    assert _items(api.get("/api/v1/settings"))[DISCOUNT]["value"] == "20"


def test_the_environment_gives_every_store_its_value(database_url, tmp_path):
    settings = make_settings(database_url, tmp_path, **{DISCOUNT: "5"})
    with TestClient(_app(settings)) as client:
        api = Api(client, make_tenant(settings))
        item = _items(api.get("/api/v1/settings"))[DISCOUNT]
        assert (item["value"], item["source"], item["default"]) == ("5", "env", "5")
        item = _items(api.patch("/api/v1/settings", json={DISCOUNT: "7.5"}))[DISCOUNT]
        assert (item["value"], item["source"], item["default"]) == ("7.5", "store", "5")


def test_a_secret_is_written_but_never_shown(api, settings):
    item = _items(api.patch("/api/v1/settings", json={PIX_KEY: "pix@cantina.com.br"}))[PIX_KEY]
    assert (item["value"], item["source"]) == (MASK, "store")
    [event] = events(settings, api.tenant.client_id, "settings.changed")
    assert "pix@cantina" not in str(event) and event["data"]["changed"][0]["value"] == MASK
    stored = fetch(settings, api.tenant.client_id, select(configurations.c.config_value).where(
        configurations.c.config_key == PIX_KEY))
    assert stored == [("pix@cantina.com.br",)]
    # What GET shows, sent back with PUT, keeps the secret; PUT resets what it does not name.
    api.patch("/api/v1/settings", json={DISCOUNT: "12"})
    shown = {name: item["value"] for name, item in _items(api.get("/api/v1/settings")).items()}
    assert shown == {DISCOUNT: "12", PIX_KEY: MASK}
    assert _items(api.request("PUT", "/api/v1/settings", json=shown))[PIX_KEY]["value"] == MASK
    after = _items(api.request("PUT", "/api/v1/settings", json={PIX_KEY: MASK}))
    assert (after[DISCOUNT]["source"], after[PIX_KEY]["value"]) == ("default", MASK)
    assert fetch(settings, api.tenant.client_id, select(configurations.c.config_value).where(
        configurations.c.config_key == PIX_KEY)) == [("pix@cantina.com.br",)]


@pytest.mark.parametrize("body, code, where", [
    ({DISCOUNT: "lots"}, "invalid_setting", DISCOUNT),
    ({DISCOUNT: "101"}, "invalid_setting", DISCOUNT),
    ({DISCOUNT: True}, "invalid_setting", DISCOUNT),
    ({DISCOUNT: ["10"]}, "invalid_setting", DISCOUNT),
    ({"NO_SUCH_SETTING": "1"}, "unknown_setting", "NO_SUCH_SETTING"),
    ({"TIP_JAR_TITLE": "Caixinha"}, "unknown_setting", "TIP_JAR_TITLE"),  # the process's
    ({DISCOUNT: "12", PIX_KEY: 42}, "invalid_setting", PIX_KEY),
    ({DISCOUNT: "x", "NOPE": 1}, "invalid_settings", "NOPE"),
])
def test_a_bad_change_is_refused_and_writes_nothing(api, settings, body, code, where):
    error = assert_error(api.patch("/api/v1/settings", json=body), 422, code)
    assert where in [problem["loc"][1] for problem in error["details"]]
    assert counts(settings, api.tenant.client_id, configurations) == {"configurations": 0}
    assert events(settings, api.tenant.client_id, "settings.changed") == []
    assert _items(api.get("/api/v1/settings"))[DISCOUNT]["source"] == "default"


def test_bodies_that_are_not_a_change(api):
    headers = {"Content-Type": "application/json"}
    assert_error(api.patch("/api/v1/settings", content=b'{"POS_', headers=headers), 400,
                 "malformed_json")
    assert_error(api.patch("/api/v1/settings", json=["POS_CASHIER_MAX_DISCOUNT_PERCENT"]), 422)
    assert_error(api.patch("/api/v1/settings", json={}), 422, "no_settings")
    assert_error(api.patch("/api/v1/settings", content=b"DISCOUNT=5",
                           headers={"Content-Type": "text/plain"}), 415)
    for role in ("manager", "cashier"):
        assert_error(api.patch("/api/v1/settings", role, json={DISCOUNT: "50"}), 403)
        assert_error(api.request("PUT", "/api/v1/settings", role, json={DISCOUNT: "50"}), 403)
