"""The provider registry: names are unique and well-formed, a method finds its provider, and a
clash stops the start-up loudly."""

import pytest
from posmodern.core import hookimpl
from posmodern.core.config import Settings
from posmodern.core.errors import PluginError, ValidationFailed
from posmodern.core.payments import PaymentResult, ProviderBase
from posmodern.core.plugins import get_plugin_manager
from posmodern.hosts.app import create_app
from posmodern.plugins.payments.registry import ProviderRegistry
from starlette.testclient import TestClient


def provider(name, methods, base=ProviderBase):
    class Made(base):
        async def authorize(self, request):
            return PaymentResult("CONFIRMED")
    Made.name, Made.methods = name, tuple(methods)
    return Made()


def test_names_are_unique_and_well_formed():
    with pytest.raises(PluginError, match="'cash' is registered twice"):
        ProviderRegistry([provider("cash", ["cash"]), provider("cash", ["voucher"])])
    with pytest.raises(PluginError, match="must be lowercase"):
        ProviderRegistry([provider("Cash Drawer", ["cash"])])
    with pytest.raises(PluginError, match="must list its methods"):
        ProviderRegistry([provider("empty", [])])
    with pytest.raises(PluginError, match="is not a PaymentProvider"):
        ProviderRegistry([object()])


def test_choosing_a_provider_for_a_method():
    registry = ProviderRegistry([provider("cash", ["cash"]), provider("asaas", ["pix", "boleto"]),
                                 provider("pixco", ["pix"]), provider("vr", ["voucher"]),
                                 provider("alelo", ["voucher"])], preferred=("cash", "asaas"))
    assert registry.choose("pix").name == "asaas"          # built-in first
    assert registry.choose("pix", "pixco").name == "pixco"  # unless named
    with pytest.raises(ValidationFailed) as ambiguous:
        registry.choose("voucher")
    assert ambiguous.value.code == "provider_required"
    assert ambiguous.value.details == {"providers": ["alelo", "vr"]}
    for method, name, code in (("bitcoin", None, "unknown_method"),
                               ("pix", "nobody", "unknown_provider"),
                               ("cash", "asaas", "method_not_supported")):
        with pytest.raises(ValidationFailed) as refused:
            registry.choose(method, name)
        assert refused.value.code == code


class Impostor:
    """A plugin claiming the built-in cash provider's name."""

    @hookimpl
    def pos_payment_providers(self, settings):
        return [provider("cash", ["cash"])]


def test_a_provider_name_claimed_twice_stops_the_start_up(settings):
    app = create_app(settings, pm=get_plugin_manager(["payments"], extra=[("impostor", Impostor())]))
    with pytest.raises(PluginError, match="'cash' is registered twice"):
        with TestClient(app):
            pass


def test_the_routes_that_ask_a_provider_document_its_failures(tmp_path):
    document = create_app(Settings.from_env({"POS_DATA_DIR": str(tmp_path)}),
                          plugins=["payments"]).state.openapi
    asking = {operation["operationId"] for operation in
              (op for ops in document["paths"].values() for op in ops.values())
              if {"502", "503", "504"} <= set(operation["responses"])}
    assert asking == {"payments.create", "payments.refund", "payments.cancel", "payments.refresh"}
