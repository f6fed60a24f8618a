"""Settings declared by plugins: typed values, errors naming the variable, duplicates refused,
secrets masked, and docs/configuration.md in step with the declarations."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from posmodern.core import hookimpl
from posmodern.core.config import Settings
from posmodern.core.errors import ConfigError, PluginError
from posmodern.core.plugin_settings import (
    MASK,
    SettingInvalid,
    SettingSpec,
    check_settings,
    declared_settings,
    effective_settings,
    settings_markdown,
)
from posmodern.core.plugins import available_plugins, get_plugin_manager
from posmodern.hosts.app import create_app

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
LIMIT = SettingSpec("X_LIMIT", Decimal, Decimal(10), "a limit", min=Decimal(0), max=Decimal(100))


def _plugin(*specs: SettingSpec):
    class Plugin:
        @staticmethod
        @hookimpl
        def pos_settings():
            return list(specs)
    return Plugin


@pytest.mark.parametrize("spec, raw, value", [
    (SettingSpec("X", int), "42", 42),
    (SettingSpec("X", int), " -3 ", -3),
    (SettingSpec("X", float), "0.25", 0.25),
    (SettingSpec("X", float), 2, 2.0),
    (LIMIT, "12.5", Decimal("12.5")),
    (LIMIT, Decimal("7"), Decimal("7")),
    (LIMIT, 100, Decimal(100)),
    (SettingSpec("X", bool), "yes", True),
    (SettingSpec("X", bool), "OFF", False),
    (SettingSpec("X", bool), False, False),
    (SettingSpec("X", tuple), "a, b,,c", ("a", "b", "c")),
    (SettingSpec("X", tuple), ["a", "b"], ("a", "b")),
    (SettingSpec("X", choices=("docker", "embedded")), "docker", "docker"),
])
def test_values_are_typed(spec, raw, value):
    assert spec.parse(raw) == value and type(spec.parse(raw)) is type(value)


@pytest.mark.parametrize("spec, raw, expected", [
    (SettingSpec("X_COUNT", int), "ten", "X_COUNT must be an integer, got 'ten'"),
    (SettingSpec("X_COUNT", int), "1.5", "X_COUNT must be an integer"),
    (SettingSpec("X_COUNT", int), True, "X_COUNT must be an integer"),
    (SettingSpec("X_COUNT", int, min=1), "0", "X_COUNT must be an integer of at least 1, got"),
    (LIMIT, "101", "X_LIMIT must be a decimal from 0 to 100, got '101'"),
    (LIMIT, "NaN", "X_LIMIT must be a decimal from 0 to 100"),
    (LIMIT, "Infinity", "X_LIMIT must be a decimal"),
    (LIMIT, [], "X_LIMIT must be a decimal"),
    (SettingSpec("X_ON", bool), "maybe", "X_ON must be true or false, got 'maybe'"),
    (SettingSpec("X_TEXT"), 5, "X_TEXT must be text, got 5"),
    (SettingSpec("X_WAY", choices=("a", "b")), "c", "X_WAY must be one of a, b, got 'c'"),
])
def test_a_bad_value_names_the_variable_and_what_fits(spec, raw, expected):
    with pytest.raises(SettingInvalid, match="^" + expected.replace("(", r"\(")) as caught:
        spec.parse(raw)
    assert caught.value.name == spec.name
    assert isinstance(caught.value, ConfigError)


def test_values_come_from_the_environment_a_file_or_the_default(tmp_path):
    (tmp_path / "limit").write_text("33\n")
    assert LIMIT.lookup({"X_LIMIT": "20"}) == (Decimal(20), "env")
    assert LIMIT.lookup({"X_LIMIT_FILE": str(tmp_path / "limit")}) == (Decimal(33), "file")
    assert LIMIT.lookup({"X_LIMIT": ""}) == (Decimal(10), "default")
    with pytest.raises(SettingInvalid, match="X_LIMIT_FILE=.* cannot be read"):
        LIMIT.lookup({"X_LIMIT_FILE": str(tmp_path / "missing")})
    assert LIMIT.value(Settings.from_env({"X_LIMIT": "1.5"})) == Decimal("1.5")


def test_a_declaration_that_cannot_work_is_refused():
    with pytest.raises(PluginError, match="UPPER_CASE"):
        SettingSpec("x_limit")
    with pytest.raises(PluginError, match="X: type"):
        SettingSpec("X", list)
    with pytest.raises(PluginError, match="scope"):
        SettingSpec("X", scope="tenant")
    with pytest.raises(PluginError, match="X: bad default: X must be an integer of at most 5"):
        SettingSpec("X", int, 10, max=5)


def test_one_name_declared_twice_stops_the_start():
    one, two = _plugin(SettingSpec("X_SHARED")), _plugin(SettingSpec("X_SHARED", int))
    pm = get_plugin_manager(["auth"], extra=[("one", one), ("two", two)])
    with pytest.raises(PluginError, match=r"X_SHARED \(by one, two\)"):
        check_settings(pm, Settings.from_env({}))
    core_clash = get_plugin_manager(["auth"], extra=[("one", _plugin(SettingSpec("POS_ENV")))])
    with pytest.raises(PluginError, match=r"POS_ENV \(by core, one\)"):
        declared_settings(core_clash)


def test_a_hook_must_answer_specs():
    class Loose:
        @staticmethod
        @hookimpl
        def pos_settings():
            return ["X_LIMIT"]
    with pytest.raises(PluginError, match="pos_settings of plugin 'loose' must return"):
        declared_settings(get_plugin_manager(["auth"], extra=[("loose", Loose)]))


def test_the_host_checks_every_plugin_setting_before_anything_else(tmp_path):
    pm = get_plugin_manager(["auth", "payments"], extra=[("limits", _plugin(LIMIT))])
    for env, name in (({"ASAAS_TIMEOUT": "soon"}, "ASAAS_TIMEOUT"), ({"X_LIMIT": "200"},
                                                                     "X_LIMIT")):
        settings = Settings.from_env({"POS_DATA_DIR": str(tmp_path), **env})
        with pytest.raises(SettingInvalid, match=f"^{name} must be") as caught:
            create_app(settings, pm=pm)
        assert caught.value.name == name


def test_effective_settings_mask_secrets_and_say_where_values_come_from(tmp_path):
    (tmp_path / "token").write_text("webhook-secret")
    settings = Settings.from_env({"ASAAS_API_KEY": "live-key-123", "ASAAS_TIMEOUT": "3",
                                  "ASAAS_WEBHOOK_TOKEN_FILE": str(tmp_path / "token"),
                                  "DB_HOST": "db", "DB_PASSWORD": "hunter2"})
    rows = {row["name"]: row for row in effective_settings(get_plugin_manager(["payments"]),
                                                           settings)}
    assert "hunter2" not in str(rows) and "live-key-123" not in str(rows)
    assert "webhook-secret" not in str(rows)
    assert (rows["ASAAS_API_KEY"]["value"], rows["ASAAS_API_KEY"]["source"]) == (MASK, "env")
    assert (rows["ASAAS_WEBHOOK_TOKEN"]["value"],
            rows["ASAAS_WEBHOOK_TOKEN"]["source"]) == (MASK, "file")
    assert (rows["ASAAS_TIMEOUT"]["value"], rows["ASAAS_TIMEOUT"]["plugin"]) == (3.0, "payments")
    assert (rows["DB_PASSWORD"]["value"], rows["DB_PASSWORD"]["plugin"]) == (MASK, "core")
    assert rows["ASAAS_CUSTOMER_ID"] | {"description": ""} == {
        "name": "ASAAS_CUSTOMER_ID", "plugin": "payments", "value": None, "source": "default",
        "type": "text", "scope": "process", "secret": False, "default": None, "description": ""}
    assert "POS_CASHIER_MAX_DISCOUNT_PERCENT" not in rows  # orders is not loaded


def test_core_settings_read_through_their_specs():
    settings = Settings.from_env({"POS_OUTBOX_POLL_SECONDS": "0.2", "POS_PLUGINS": " , ",
                                  "REDIS_HOST": "r", "REDIS_DB": "2"})
    assert settings.outbox_poll_seconds == 0.2 and settings.plugins is None
    assert settings.redis_url == "redis://r:6379/2"
    with pytest.raises(SettingInvalid, match="POS_OUTBOX_POLL_SECONDS must be a number"):
        Settings.from_env({"POS_OUTBOX_POLL_SECONDS": "often"})


def test_the_configuration_docs_are_generated_from_the_declarations():
    builtin = sorted(name for name, ep in available_plugins().items()
                     if ep.value.startswith("posmodern.plugins."))
    expected = settings_markdown(get_plugin_manager(builtin))
    assert DOCS.read_text() == expected, (
        "docs/configuration.md is out of step with the declared settings: run "
        "`pos config --markdown > docs/configuration.md`")
    for item in declared_settings(get_plugin_manager(builtin)):
        assert item.spec.description, f"{item.spec.name} has no description"
