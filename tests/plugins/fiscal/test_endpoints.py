"""Which SEFAZ a store's notes go to: its state's own web services (AM, GO, MG, MS, MT, PR, RS,
SP), SVRS for the states it serves, never SVRS for a state that authorizes NFC-e itself or is
not a state (the store is told to set POS_FISCAL_SEFAZ_URL); the URL setting wins everywhere."""

import pytest
from posmodern.plugins.fiscal import sefaz
from posmodern.plugins.fiscal import settings as spec


@pytest.mark.parametrize(("uf", "environment", "url"), [
    ("SP", "1", "https://nfce.fazenda.sp.gov.br/ws/NFeAutorizacao4.asmx"),
    ("SP", "2", "https://homologacao.nfce.fazenda.sp.gov.br/ws/NFeAutorizacao4.asmx"),
    ("RS", "1", "https://nfce.sefazrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("RS", "2",
     "https://nfce-homologacao.sefazrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("AM", "1", "https://nfce.sefaz.am.gov.br/nfce-services/services/NfeAutorizacao4"),
    ("GO", "2", "https://homolog.sefaz.go.gov.br/nfe/services/NFeAutorizacao4"),
    ("MG", "1", "https://nfce.fazenda.mg.gov.br/nfce/services/NFeAutorizacao4"),
    ("MS", "2", "https://hom.nfce.sefaz.ms.gov.br/ws/NFeAutorizacao4"),
    ("MT", "1", "https://nfce.sefaz.mt.gov.br/nfcews/services/NfeAutorizacao4"),
    ("PR", "1", "https://nfce.sefa.pr.gov.br/nfce/NFeAutorizacao4"),
    ("BA", "1", "https://nfce.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("CE", "1", "https://nfce.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
    ("SC", "2", "https://nfce-homologacao.svrs.rs.gov.br/ws/NfeAutorizacao/NFeAutorizacao4.asmx"),
])
def test_each_state_sends_to_its_authorizer(uf, environment, url):
    assert sefaz.endpoint(uf, environment, "NFeAutorizacao4") == url


def test_every_service_has_a_path_at_every_listed_authorizer():
    for (uf, environment), (base, paths) in sefaz.ENDPOINTS.items():
        assert set(paths) == set(sefaz.SERVICES), uf
        assert base.startswith("https://") and base.endswith("/"), (uf, environment)


def test_each_state_has_an_authorizer_in_both_environments():
    for uf in spec.UF_CODES:
        for environment in ("1", "2"):
            for service in sefaz.SERVICES:
                assert sefaz.endpoint(uf, environment, service).startswith("https://")
    assert sefaz.endpoint("MT", "1", "NFeConsultaProtocolo4") == (
        "https://nfce.sefaz.mt.gov.br/nfcews/services/NfeConsulta4")
    assert sefaz.endpoint("AM", "2", "NFeRecepcaoEvento4") == (
        "https://homnfce.sefaz.am.gov.br/nfce-services/services/RecepcaoEvento4")


@pytest.mark.parametrize(("uf", "environment"), [("XX", "1"), ("MG", "3"), ("BA", "3")])
def test_no_address_sends_nowhere_until_the_url_is_set(uf, environment):
    with pytest.raises(sefaz.NoAnswer, match="POS_FISCAL_SEFAZ_URL"):
        sefaz.endpoint(uf, environment, "NFeStatusServico4")
    assert sefaz.endpoint(uf, environment, "NFeStatusServico4", "https://sefaz.example/ws/") == (
        "https://sefaz.example/ws/NFeStatusServico4")
