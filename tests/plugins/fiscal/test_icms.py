"""ICMS on the NFC-e: the CSOSN of the Simples Nacional (CRT 1) and the CST of the regime normal
(CRT 3), the taxed ones (00, 20) with their base, rate and tax per item and totals that are the
sum of the items to the cent; each situation valid against the official schema once signed; a
CRT 3 note authorised by SEFAZ; fiscal data that do not fit the store's regime refused."""

from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree
from posmodern.plugins.fiscal import emission, keys, nfce
from posmodern.plugins.fiscal.signer import load_certificate, sign
from support.api import assert_error
from support.fiscal import DOCS, PRODUCT_DATA, configure, give_fiscal_data, paid_order
from support.fiscal import wait_document
from support.fiscal_cert import PASSWORD

N = {"n": nfce.NFE}
KEY = "35261211222333000181650010000000011123456780"
PRODUCTS = "/api/v1/fiscal/products"


def _issuer(crt: str) -> nfce.Issuer:
    return nfce.Issuer("11222333000181", "111222333444", crt, "RESTAURANTE TESTE LTDA", "Teste",
                       "Rua das Flores", "100", "Centro", "São Paulo", "3550308", "SP", "35",
                       "01001000")


def _line(cst: str, price: str, icms_rate=None, reduction=None, quantity="1",
          fcp=None, **retained) -> nfce.Line:
    total = Decimal(price) * Decimal(quantity)
    return nfce.Line("P1", "Prato", Decimal(quantity), Decimal(price), total, "21069090",
                     "5102", cst, 0, None, "000", "000001", Decimal("0.1"), Decimal("0.9"),
                     icms_rate=None if icms_rate is None else Decimal(icms_rate),
                     icms_base_reduction=None if reduction is None else Decimal(reduction),
                     fcp_rate=None if fcp is None else Decimal(fcp),
                     **{name: Decimal(value) for name, value in retained.items()})


def _signed(crt: str, lines, certificate) -> etree._Element:
    """The note of ``lines``, signed with the test certificate and checked by the schema."""
    total = sum((line.base for line in lines), nfce.ZERO)
    note = nfce.Note(KEY, 1, 1, "12345678", datetime(2026, 12, 1, 12, tzinfo=emission.BRT),
                     "2", tuple(lines), (nfce.Tender("01", total),))
    root = nfce.build(_issuer(crt), note)
    sign(root[0], load_certificate(str(certificate[0]), PASSWORD,
                                   datetime.now().astimezone()))
    page = "https://www.homologacao.nfce.fazenda.sp.gov.br/"
    nfce.add_supplement(root, page + "qrcode?p=" + keys.qr_parameters(KEY, "2", "1", "CSC"),
                        page + "consulta")
    nfce.validate(root)
    return root


def _icms(root, item: int = 1) -> etree._Element:
    return root.find(f"n:infNFe/n:det[@nItem='{item}']/n:imposto/n:ICMS", N)[0]


def _tot(root, name: str) -> str:
    return root.findtext(f"n:infNFe/n:total/n:ICMSTot/n:{name}", namespaces=N)


@pytest.mark.parametrize(("crt", "cst", "group", "code_tag"), [
    ("1", "102", "ICMSSN102", "CSOSN"), ("1", "103", "ICMSSN102", "CSOSN"),
    ("1", "300", "ICMSSN102", "CSOSN"), ("1", "400", "ICMSSN102", "CSOSN"),
    ("1", "500", "ICMSSN500", "CSOSN"), ("3", "40", "ICMS40", "CST"),
    ("3", "41", "ICMS40", "CST"), ("3", "50", "ICMS40", "CST"), ("3", "60", "ICMS60", "CST")])
def test_untaxed_situations_are_valid_and_carry_no_icms(crt, cst, group, code_tag, certificate):
    root = _signed(crt, [_line(cst, "26.90")], certificate)
    icms = _icms(root)
    assert icms.tag == f"{{{nfce.NFE}}}{group}"
    assert [etree.QName(child).localname for child in icms] == ["orig", code_tag]
    assert icms.findtext(f"n:{code_tag}", namespaces=N) == cst
    assert root.findtext("n:infNFe/n:emit/n:CRT", namespaces=N) == crt
    assert _tot(root, "vBC") == "0.00" and _tot(root, "vICMS") == "0.00"


def test_cst_00_is_taxed_on_the_whole_value(certificate):
    root = _signed("3", [_line("00", "26.90", "18", quantity="2")], certificate)
    icms = _icms(root)
    assert icms.tag == f"{{{nfce.NFE}}}ICMS00"
    assert [(etree.QName(c).localname, c.text) for c in icms] == [
        ("orig", "0"), ("CST", "00"), ("modBC", "3"), ("vBC", "53.80"),
        ("pICMS", "18.0000"), ("vICMS", "9.68")]  # 53.80 × 18 % = 9.684
    assert _tot(root, "vBC") == "53.80" and _tot(root, "vICMS") == "9.68"


def test_cst_20_is_taxed_on_the_reduced_base(certificate):
    root = _signed("3", [_line("20", "14.00", "18", "33.33")], certificate)
    icms = _icms(root)
    assert icms.tag == f"{{{nfce.NFE}}}ICMS20"
    assert [(etree.QName(c).localname, c.text) for c in icms] == [
        ("orig", "0"), ("CST", "20"), ("modBC", "3"), ("pRedBC", "33.3300"),
        ("vBC", "9.33"), ("pICMS", "18.0000"), ("vICMS", "1.68")]  # 14 × 66.67 % = 9.3338
    assert _tot(root, "vBC") == "9.33" and _tot(root, "vICMS") == "1.68"


def test_fcp_is_charged_on_the_icms_base_where_the_product_has_a_rate(certificate):
    # RJ-style: ICMS 18 % plus FCP 2 % on the same base; on CST 20 the reduced base (vBCFCP).
    lines = [_line("00", "26.90", "18", quantity="2", fcp="2"),
             _line("20", "14.00", "18", "33.33", fcp="2"), _line("00", "5.00", "18")]
    root = _signed("3", lines, certificate)
    assert [(etree.QName(c).localname, c.text) for c in _icms(root, 1)][-2:] == [
        ("pFCP", "2.0000"), ("vFCP", "1.08")]  # 53.80 × 2 % = 1.076
    assert [(etree.QName(c).localname, c.text) for c in _icms(root, 2)][-3:] == [
        ("vBCFCP", "9.33"), ("pFCP", "2.0000"), ("vFCP", "0.19")]  # 9.33 × 2 % = 0.1866
    assert _icms(root, 3).find("n:pFCP", N) is None  # no rate, no FCP group
    assert _tot(root, "vFCP") == "1.27" and _tot(root, "vICMS") == "12.26"
    assert _tot(root, "vNF") == "72.80"  # FCP is inside the price, as ICMS is


@pytest.mark.parametrize(("crt", "cst", "group", "code_tag"), [
    ("3", "60", "ICMS60", "CST"), ("1", "500", "ICMSSN500", "CSOSN")])
def test_the_st_retained_before_and_the_effective_icms_are_told_per_item(crt, cst, group,
                                                                        code_tag, certificate):
    # A beer whose ST was charged by the brewery: per can, base 7.8333, pST 20 %, the
    # substitute's own ICMS 0.60, ST retained 0.9667; effective ICMS 18 % on 10 % less.
    lines = [_line(cst, "8.50", quantity="3", st_retained_base="7.8333", st_rate="20",
                   st_substitute_icms="0.60", st_retained_icms="0.9667",
                   effective_base_reduction="10", effective_icms_rate="18"),
             _line(cst, "5.00", st_retained_base="4", st_rate="18", st_retained_icms="0.5")]
    root = _signed(crt, lines, certificate)
    icms = _icms(root)
    assert icms.tag == f"{{{nfce.NFE}}}{group}"
    assert [(etree.QName(c).localname, c.text) for c in icms] == [
        ("orig", "0"), (code_tag, cst), ("vBCSTRet", "23.50"), ("pST", "20.0000"),
        ("vICMSSubstituto", "1.80"), ("vICMSSTRet", "2.90"),  # 3 × 0.9667 = 2.9001
        ("pRedBCEfet", "10.0000"), ("vBCEfet", "22.95"),  # 25.50 × 90 %
        ("pICMSEfet", "18.0000"), ("vICMSEfet", "4.13")]  # 22.95 × 18 % = 4.131
    assert [etree.QName(c).localname for c in _icms(root, 2)] == [
        "orig", code_tag, "vBCSTRet", "pST", "vICMSSTRet"]  # no substitute's ICMS, no effective
    # Charged before: nothing of it in this note's totals.
    assert _tot(root, "vBC") == "0.00" and _tot(root, "vST") == "0.00"
    assert _tot(root, "vNF") == "30.50"


@pytest.mark.parametrize(("crt", "cst", "group", "code_tag"), [
    ("3", "90", "ICMS90", "CST"), ("1", "900", "ICMSSN900", "CSOSN")])
def test_other_situations_carry_icms_only_when_the_product_gives_a_rate(crt, cst, group,
                                                                       code_tag, certificate):
    lines = [_line(cst, "14.00", "18", "33.33"), _line(cst, "10.00", "12"), _line(cst, "6.50")]
    root = _signed(crt, lines, certificate)
    assert _icms(root).tag == f"{{{nfce.NFE}}}{group}"
    # After vBC here (ICMS20 has it before): 14 × 66.67 % = 9.3338.
    assert [(etree.QName(c).localname, c.text) for c in _icms(root)] == [
        ("orig", "0"), (code_tag, cst), ("modBC", "3"), ("vBC", "9.33"), ("pRedBC", "33.3300"),
        ("pICMS", "18.0000"), ("vICMS", "1.68")]
    assert [(etree.QName(c).localname, c.text) for c in _icms(root, 2)][2:] == [
        ("modBC", "3"), ("vBC", "10.00"), ("pICMS", "12.0000"), ("vICMS", "1.20")]
    assert [etree.QName(c).localname for c in _icms(root, 3)] == ["orig", code_tag]
    assert _tot(root, "vBC") == "19.33" and _tot(root, "vICMS") == "2.88"
    assert _tot(root, "vNF") == "30.50"


def test_cst_90_charges_fcp_on_its_base(certificate):
    root = _signed("3", [_line("90", "14.00", "18", "33.33", fcp="2")], certificate)
    assert [(etree.QName(c).localname, c.text) for c in _icms(root)][-3:] == [
        ("vBCFCP", "9.33"), ("pFCP", "2.0000"), ("vFCP", "0.19")]
    assert _tot(root, "vFCP") == "0.19"


def test_totals_are_the_sum_of_the_items_each_rounded_to_the_cent(certificate):
    # 0.35 × 18 % = 0.063 → 0.06 per item: the note says 0.18, not 1.05 × 18 % = 0.19.
    lines = [_line("00", "0.35", "18") for _ in range(3)] + [_line("41", "6.50")]
    root = _signed("3", lines, certificate)
    assert [_icms(root, n).findtext("n:vICMS", namespaces=N) for n in (1, 2, 3)] == [
        "0.06"] * 3
    assert _tot(root, "vBC") == "1.05" and _tot(root, "vICMS") == "0.18"
    assert _tot(root, "vNF") == "7.55"


def test_a_regime_normal_store_gets_its_taxed_note_authorised(api, menu, sefaz):
    configure(api, {"POS_FISCAL_CRT": "3"})
    give_fiscal_data(api, menu, "X-Burger", cst="00", icms_rate="18")
    give_fiscal_data(api, menu, "Misto quente", cst="20", icms_rate="18",
                     icms_base_reduction="33.33")
    give_fiscal_data(api, menu, "Guaraná lata", cst="60")
    order = paid_order(api, menu, ("X-Burger", "2"), ("Misto quente", "1"),
                       ("Guaraná lata", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    answer = api.get(f"{DOCS}/{doc['document_id']}/xml")
    note = etree.fromstring(answer.content).find("n:NFe", N)
    nfce.validate(note)
    assert note.findtext("n:infNFe/n:emit/n:CRT", namespaces=N) == "3"
    groups = [etree.QName(_icms(note, n)).localname for n in (1, 2, 3)]
    assert groups == ["ICMS00", "ICMS20", "ICMS60"]
    assert _icms(note, 1).findtext("n:vICMS", namespaces=N) == "9.68"
    assert _icms(note, 2).findtext("n:vICMS", namespaces=N) == "1.68"
    assert _tot(note, "vBC") == "63.13" and _tot(note, "vICMS") == "11.36"
    assert not sefaz.errors


def test_a_simples_store_gets_its_csosn_900_note_authorised(api, menu, sefaz):
    give_fiscal_data(api, menu, "X-Burger", cst="900", icms_rate="18")
    give_fiscal_data(api, menu, "Guaraná lata", cst="900")
    order = paid_order(api, menu, ("X-Burger", "1"), ("Guaraná lata", "1"))
    [doc] = wait_document(api, order["order_id"], "AUTHORISED")
    note = etree.fromstring(api.get(f"{DOCS}/{doc['document_id']}/xml").content).find(
        "n:NFe", N)
    nfce.validate(note)
    assert [etree.QName(_icms(note, n)).localname for n in (1, 2)] == ["ICMSSN900"] * 2
    price = Decimal(menu["X-Burger"]["price"])
    assert _icms(note, 1).findtext("n:vICMS", namespaces=N) == str(
        (price * Decimal("0.18")).quantize(Decimal("0.01")))
    assert _icms(note, 2).find("n:vICMS", N) is None
    assert not sefaz.errors


def test_a_product_whose_cst_no_longer_fits_the_regime_waits_for_data(api, menu, sefaz):
    configure(api, {"POS_FISCAL_CRT": "3"})  # the menu's data are CSOSN 102 (Simples)
    order = paid_order(api, menu, ("Suco de laranja", "1"))
    [waiting] = wait_document(api, order["order_id"], "PENDING_DATA")
    assert "CRT 3" in waiting["reason"] and "Suco de laranja" in waiting["reason"]
    assert sefaz.requests == []


def test_icms_data_that_do_not_fit_are_refused_and_nothing_is_stored(api, menu):
    path = f"{PRODUCTS}/{menu['Pudim de leite']['product_id']}"

    def refused(**changes):
        return assert_error(api.request("PUT", path, json={**PRODUCT_DATA, **changes}), 422)

    # A Simples Nacional store (CRT 1): CSOSN only, and no ICMS rate.
    error = refused(cst="00", icms_rate="18")
    assert error["details"][0]["loc"] == ["cst"] and "CRT 1" in error["message"]
    refused(cst="101")  # credit for the buyer: not for a consumer's note
    refused(cst="102", icms_rate="18")
    configure(api, {"POS_FISCAL_CRT": "3"})
    refused(cst="102")
    error = refused(cst="00")  # taxed without a rate
    assert error["details"][0]["loc"] == ["icms_rate"]
    refused(cst="20", icms_rate="18")  # reduced without the reduction
    refused(cst="00", icms_rate="-1")
    refused(cst="00", icms_rate="100.01")
    refused(cst="20", icms_rate="18", icms_base_reduction="101")
    refused(cst="00", icms_rate="18", icms_base_reduction="10")
    refused(cst="40", icms_rate="18")
    error = refused(cst="90", icms_base_reduction="10")  # a reduction of no rate
    assert error["details"][0]["loc"] == ["icms_base_reduction"]
    error = refused(cst="90", fcp_rate="2")
    assert error["details"][0]["loc"] == ["fcp_rate"]
    error = refused(cst="60", fcp_rate="2")  # FCP only where ICMS is computed
    assert error["details"][0]["loc"] == ["fcp_rate"]
    refused(cst="00", icms_rate="18", fcp_rate="-2")
    error = refused(cst="00", icms_rate="18", st_rate="20")  # ST retained: CST 60 only
    assert error["details"][0]["loc"] == ["st_rate"]
    error = refused(cst="60", st_retained_base="4", st_rate="18")  # without what was retained
    assert error["details"][0]["loc"] == ["st_retained_icms"]
    assert "st_retained_icms" in error["details"][0]["msg"]
    error = refused(cst="60", effective_base_reduction="10")  # a reduction without the rate
    assert error["details"][0]["loc"] == ["effective_icms_rate"]
    refused(cst="60", st_retained_base="-1", st_rate="18", st_retained_icms="0.5")
    refused(cst="60", effective_icms_rate="100.5")
    assert_error(api.get(path), 404, "fiscal_data_not_found")
    saved = api.request("PUT", path, json={**PRODUCT_DATA, "cst": "20", "icms_rate": "12",
                                           "icms_base_reduction": "41.67"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["icms_rate"] == "12.0000"
    assert saved.json()["icms_base_reduction"] == "41.6700"
    assert saved.json()["fcp_rate"] is None
    saved = api.request("PUT", path, json={**PRODUCT_DATA, "cst": "00", "icms_rate": "18",
                                           "fcp_rate": "2"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["fcp_rate"] == "2.0000"
    saved = api.request("PUT", path, json={**PRODUCT_DATA, "cst": "60", "st_retained_base":
                                           "4.5", "st_rate": "18", "st_retained_icms": "0.81",
                                           "effective_icms_rate": "18"})
    assert saved.status_code == 200, saved.text
    assert (saved.json()["st_retained_base"], saved.json()["st_substitute_icms"],
            saved.json()["effective_icms_rate"]) == ("4.5000", None, "18.0000")
