"""Which SEFAZ a store's notes go to: its state's own web services (SP, RS), SVRS for the states
it serves, never SVRS for a state that authorizes NFC-e itself but has no address here (the
store is told to set POS_FISCAL_SEFAZ_URL); the URL setting wins everywhere."""

import pytest
from posmodern.plugins.fiscal import sefaz


@pytest.mark.parametrize(("uf", "environment", "url"), [
    ("SP", "1", "https://nfce.fazenda.sp.gov.br/ws/NFeAutorizacao4.asmx"),
    ("SP", "2", "https://homologacao.nfce.fazenda.sp.gov.br/ws/NFeAutorizacao4.asmx"),
    ("RS", "1", "https://nfce.sefazrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("RS", "2",
     "https://nfce-homologacao.sefazrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("BA", "1", "https://nfce.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("SC", "2", "https://nfce-homologacao.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
])
def test_each_state_sends_to_its_authorizer(uf, environment, url):
    assert sefaz.endpoint(uf, environment, "NFeAutorizacao4") == url


def test_every_service_has_a_path_at_every_listed_authorizer():
    for (uf, environment), (base, paths) in sefaz.ENDPOINTS.items():
        assert set(paths) == set(sefaz.SERVICES), uf
        assert base.startswith("https://") and base.endswith("/"), (uf, environment)


@pytest.mark.parametrize("uf", sefaz.OWN_AUTHORIZER)
def test_a_state_with_its_own_authorizer_and_no_address_sends_nowhere(uf):
    with pytest.raises(sefaz.NoAnswer, match="POS_FISCAL_SEFAZ_URL"):
        sefaz.endpoint(uf, "1", "NFeStatusServico4")
    assert sefaz.endpoint(uf, "1", "NFeStatusServico4", "https://sefaz.example/ws/") == (
        "https://sefaz.example/ws/NFeStatusServico4")
