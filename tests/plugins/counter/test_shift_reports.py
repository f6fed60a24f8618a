"""The shift's reports on paper: a cashier's reading (leitura X) of the open shift and the closing
(fechamento) print at the receipt printer with the tenders by payment method and the drawer's
figures; a closed or unknown shift cannot be read; the kitchen cannot read the drawer."""

import pytest

from support.api import assert_error
from support.fake_printer import NetworkPrinter
from support.peripherals import add_printer, wait_job
from support.tenant_db import wait_for

from .conftest import TILL_PLUGINS
from .test_shifts import SHIFTS, open_shift


@pytest.fixture
def app_plugins():
    return [*TILL_PLUGINS, "peripherals"]


@pytest.fixture
def printer():
    device = NetworkPrinter().start()
    yield device
    device.stop()


def _reports(staff):
    def found():
        jobs = staff.get("/api/v1/peripherals/print-jobs", "manager",
                         params={"kind": "shift_report"}).json()["print_jobs"]
        return jobs if jobs and all(j["status"] == "done" for j in jobs) else None
    return wait_for(found)


def test_a_reading_and_the_closing_print_the_shifts_figures(staff, sell, printer):
    add_printer(staff, "Caixa", role="receipt", connection=printer.connection)
    shift = open_shift(staff, "100.00")
    sell(("X-Burger", "1"), amount="50.00")  # 23.10 change
    sell(("Misto quente", "1"), method="debit_card", provider="card_terminal")
    staff.post(f"{SHIFTS}/{shift['shift_id']}/movements", "cashier",
               json={"kind": "sangria", "amount": "50.00", "reason": "cofre"})
    read = staff.post(f"{SHIFTS}/{shift['shift_id']}/reading", "cashier")
    assert read.status_code == 200, read.text
    report = read.json()
    assert report["kind"] == "reading" and report["shift"]["expected_amount"] == "76.90"
    assert report["tenders"] == [{"method": "cash", "count": 1, "amount": "26.90"},
                                 {"method": "debit_card", "count": 1, "amount": "14.00"}]
    [reading] = _reports(staff)
    text = printer.text()
    assert "LEITURA X" in text and "NÃO É DOCUMENTO FISCAL" in text
    for line in ("Dinheiro (1)", "R$ 26,90", "Cartão de débito (1)", "R$ 14,00", "R$ 40,90",
                 "Fundo de troco", "R$ 100,00", "Troco dado", "-R$ 23,10", "Sangrias",
                 "-R$ 50,00", "Esperado na gaveta", "R$ 76,90", "Dinheiro recebido", "R$ 50,00", "Sangria", "cofre"):
        assert line in text, line
    assert "FECHAMENTO" not in text

    closed = staff.post(f"{SHIFTS}/{shift['shift_id']}/close", "cashier",
                        json={"counted_amount": "75.00"})
    assert closed.status_code == 200, closed.text
    jobs = wait_for(lambda: len(_reports(staff)) == 2 and _reports(staff))
    closing = next(j for j in jobs if j["job_id"] != reading["job_id"])
    wait_job(staff, closing["job_id"])
    text = printer.text().split("FECHAMENTO DE CAIXA", 1)[1]
    for line in ("Fechado por", "cashier", "Contado", "R$ 75,00", "Diferença", "-R$ 1,90"):
        assert line in text, line
    assert text.count("FECHAMENTO DE CAIXA") == 0  # one closing


def test_a_closed_or_unknown_shift_cannot_be_read(staff):
    shift = open_shift(staff, "10.00")
    assert_error(staff.post(f"{SHIFTS}/{shift['shift_id']}/reading", "kitchen"), 403)
    staff.post(f"{SHIFTS}/{shift['shift_id']}/close", "cashier", json={"counted_amount": "10.00"})
    assert_error(staff.post(f"{SHIFTS}/{shift['shift_id']}/reading", "cashier"), 409,
                 "shift_closed")
    assert_error(staff.post(f"{SHIFTS}/00000000-0000-0000-0000-000000000000/reading",
                            "cashier"), 404)
