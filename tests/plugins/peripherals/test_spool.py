"""The spool and the events: a confirmed order's tickets reach each station's printer once, a
printer that is down gets its job when it is back, a backup takes over, a late kitchen ticket
expires, reprints are marked, a cash payment pulses the drawer, a paid order prints a receipt."""

import uuid
from datetime import timedelta

from posmodern.hosts.app import create_app
from posmodern.schema.tables import print_jobs
from posmodern.schema.types import utcnow
from sqlalchemy import update
from starlette.testclient import TestClient
from support.api import Api, assert_error, make_tenant
from support.fake_printer import PULSE, NetworkPrinter
from support.menu import create_menu, order_body
from support.peripherals import add_printer, job, wait_job
from support.settings import make_settings
from support.tenant_db import fetch, wait_for

from .conftest import FAST, PLUGINS
from support.tenders import pay

JOBS = "/api/v1/peripherals/print-jobs"


def _confirmed_order(api, menu, *lines):
    made = api.post("/api/v1/orders", "cashier", json=order_body(menu, *lines))
    assert made.status_code == 201, made.text
    order = made.json()
    moved = api.post(f"/api/v1/orders/{order['order_id']}/status", "manager",
                     json={"status": "CONFIRMED"})
    assert moved.status_code == 200, moved.text
    return order


def _jobs(api, **query):
    return api.get(JOBS, params=query).json()["print_jobs"]


def test_a_confirmed_order_prints_once_per_station_and_waits_for_a_printer_that_is_down(
        api, printer, fast_settings):
    bar = NetworkPrinter().start()
    try:
        add_printer(api, "Cozinha", role="cozinha", connection=printer.connection)
        add_printer(api, "Bar", role="bar", connection=bar.connection)
        menu = create_menu(api)
        printer.stop()  # the kitchen printer is off when the order comes
        order = _confirmed_order(api, menu, ("X-Burger", "2"), ("Pudim de leite", "1"))
        kitchen = wait_for(lambda: _jobs(api, reference_id=order["order_id"]))
        assert [(j["kind"], j["role"]) for j in kitchen] == [("kitchen", "cozinha")]
        def tried_twice():
            found = job(api, kitchen[0]["job_id"])
            return found if found["attempts"] >= 2 else None
        waiting = wait_for(tried_twice)
        assert waiting["status"] in ("queued", "printing") and waiting["last_error"]
        printer.start()
        wait_job(api, kitchen[0]["job_id"])
        text = printer.text()
        assert text.count("PEDIDO - COZINHA") == 1
        assert "2x X-Burger" in text and "1x Pudim de leite" in text
        assert f"Pedido #{order['order_number']}" in text
        assert len(printer.tickets()) == 1 and bar.data() == b""
    finally:
        bar.stop()


def test_a_new_printer_and_a_ticket_from_an_event_are_taken_up_without_waiting_for_a_poll(
        database_url, tmp_path, exchange, printer):
    # The spool looks for printers every 10 min and for jobs every minute here: only being told
    # after the commits that wrote them (not PostgreSQL's statistics, which count a new row
    # seconds later; not the next poll) gets these printed within the test's 15 s.
    settings = make_settings(database_url, tmp_path, exchange=exchange, **{
        **FAST, "POS_PRINT_SCAN_SECONDS": "600", "POS_PRINT_POLL_SECONDS": "60"})
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(settings))
        made = add_printer(api, "Cozinha", role="cozinha", connection=printer.connection)
        page = api.post(f"/api/v1/peripherals/printers/{made['printer_id']}/test")
        assert page.status_code == 202, page.text
        wait_job(api, page.json()["job_id"])
        order = _confirmed_order(api, create_menu(api), ("X-Burger", "1"))
        [kitchen] = wait_for(lambda: _jobs(api, reference_id=order["order_id"]))
        wait_job(api, kitchen["job_id"])
    assert len(printer.tickets()) == 2
    assert f"Pedido #{order['order_number']}" in printer.text()


def test_tickets_waiting_out_a_retry_print_as_soon_as_the_printer_prints_again(
        database_url, tmp_path, exchange, printer):
    # A failed attempt waits 30 s here: only the printer's first success since it came back
    # (a new ticket) makes the two waiting tickets due, within the test's 15 s.
    settings = make_settings(database_url, tmp_path, exchange=exchange, **{
        **FAST, "POS_PRINT_RETRY_SECONDS": "30", "POS_PRINT_RETRY_MAX_SECONDS": "30"})
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(settings))
        add_printer(api, "Cozinha", role="cozinha", connection=printer.connection)
        menu = create_menu(api)
        printer.stop()
        waiting = [_confirmed_order(api, menu, (name, "1")) for name in ("X-Burger", "Misto quente")]
        tried = [wait_for(lambda order=order: [j for j in _jobs(api, reference_id=order["order_id"])
                                               if j["attempts"] >= 1 and j["last_error"]])[0]
                 for order in waiting]
        printer.start()
        fresh = _confirmed_order(api, menu, ("Pudim de leite", "1"))
        [ticket] = wait_for(lambda: _jobs(api, reference_id=fresh["order_id"]))
        wait_job(api, ticket["job_id"])
        for job_waiting in tried:
            assert wait_job(api, job_waiting["job_id"])["attempts"] == 2
    text = printer.text()
    assert [text.count(f"1x {name}") for name in ("X-Burger", "Misto quente", "Pudim de leite")] \
        == [1, 1, 1]


def test_a_ticket_that_may_have_printed_is_printed_again_marked_as_a_reprint(api, printer):
    add_printer(api, "Cozinha", role="cozinha", connection=printer.connection)
    menu = create_menu(api)
    printer.drop_after_cuts = 1  # the first ticket prints, then the cable is pulled
    order = _confirmed_order(api, menu, ("X-Burger", "1"))
    [kitchen] = wait_for(lambda: _jobs(api, reference_id=order["order_id"]))
    done = wait_job(api, kitchen["job_id"])
    assert done["attempts"] == 2
    first, second = printer.tickets()
    assert f"Pedido #{order['order_number']}".encode() in first
    assert b"REIMPRESS" not in first
    # The kitchen sees the second copy is one: it does not cook the order twice.
    assert b"REIMPRESS" in second and f"Pedido #{order['order_number']}".encode() in second


def test_a_backup_printer_takes_the_job_of_a_printer_that_is_down(api, printer):
    backup = add_printer(api, "Reserva", role="cozinha", connection=printer.connection)
    dead = NetworkPrinter().start()
    dead.stop()
    add_printer(api, "Cozinha", role="cozinha", connection=dead.connection,
                backup_printer_id=backup["printer_id"])
    order = _confirmed_order(api, create_menu(api), ("Misto quente", "1"))
    found = wait_for(lambda: _jobs(api, reference_id=order["order_id"]))
    done = wait_job(api, found[0]["job_id"])
    assert done["printer_id"] == backup["printer_id"] and done["attempts"] >= 2
    assert printer.text().count("1x Misto quente") == 1


def test_a_late_kitchen_ticket_expires_and_a_reprint_is_marked(api, printer, fast_settings):
    dead = NetworkPrinter().start()
    dead.stop()
    made = add_printer(api, "Cozinha", role="cozinha", connection=dead.connection)
    order = _confirmed_order(api, create_menu(api), ("X-Burger", "1"))
    ticket = wait_for(lambda: _jobs(api, reference_id=order["order_id"]))[0]
    fetch(fast_settings, api.tenant.client_id, update(print_jobs).where(
        print_jobs.c.job_id == uuid.UUID(ticket["job_id"])).values(
            created_at=utcnow() - timedelta(hours=3)).returning(print_jobs.c.job_id))
    api.patch(f"/api/v1/peripherals/printers/{made['printer_id']}",
              json={"connection": printer.connection})
    expired = wait_job(api, ticket["job_id"], "expired")
    assert "min old" in expired["last_error"] and printer.data() == b""
    again = api.post(f"{JOBS}/{ticket['job_id']}/reprint", "kitchen")
    assert again.status_code == 201, again.text
    assert again.json()["reprint_of"] == ticket["job_id"]
    wait_job(api, again.json()["job_id"])
    assert "*** REIMPRESSÃO ***" in printer.text() and "1x X-Burger" in printer.text()
    fetch(fast_settings, api.tenant.client_id, update(print_jobs).where(
        print_jobs.c.job_id == uuid.UUID(ticket["job_id"])).values(
            created_at=utcnow() - timedelta(days=8)).returning(print_jobs.c.job_id))
    assert_error(api.post(f"{JOBS}/{ticket['job_id']}/reprint"), 410, "job_too_old")
    assert_error(api.post(f"{JOBS}/00000000-0000-0000-0000-000000000000/reprint"), 404)


def test_a_cash_payment_pulses_the_drawer_and_prints_the_receipt_once(api, printer):
    add_printer(api, "Caixa", role="receipt", connection=printer.connection, paper_mm=58)
    menu = create_menu(api)
    order = _confirmed_order(api, menu, ("Guaraná lata", "2"))
    paid = pay(api, order["order_id"], "cash", "20.00")
    assert paid.status_code in (200, 201), paid.text
    def both_printed():
        found = _jobs(api)
        kinds = {j["kind"] for j in found}
        done = all(j["status"] == "done" for j in found)
        return found if kinds == {"drawer", "receipt"} and done else None
    kinds = wait_for(both_printed)
    assert len(kinds) == 2
    text = printer.text()
    assert PULSE in printer.data()
    assert "CUPOM NÃO FISCAL" in text and "2x Guaraná lata" in text
    # The customer sees the total, the R$ 20,00 handed over and the R$ 7,00 given back.
    assert "TOTAL" in text and "R$ 13,00" in text
    assert "Dinheiro" in text and "R$ 20,00" in text
    assert "Troco" in text and "R$ 7,00" in text


def test_the_drawer_opens_on_request_for_a_cashier_not_the_kitchen(api, printer):
    assert_error(api.post("/api/v1/peripherals/cash-drawer/open", json={}), 409,
                 "no_printer_for_role")
    add_printer(api, "Caixa", role="receipt", connection=printer.connection)
    assert_error(api.post("/api/v1/peripherals/cash-drawer/open", "kitchen", json={}), 403)
    opened = api.post("/api/v1/peripherals/cash-drawer/open", "cashier",
                      json={"reason": "troco"})
    assert opened.status_code == 202, opened.text
    wait_job(api, opened.json()["job_id"])
    assert printer.data().endswith(PULSE + b"22")


def test_printed_tickets_follow_the_kitchen_screens_stations(
        database_url, tmp_path, exchange, printer):
    # One routing for a store: the kds stations send each item to a screen and to the printer
    # of that station; POS_KITCHEN_STATIONS (not set here) is for stores without stations.
    bar = NetworkPrinter().start()
    settings = make_settings(database_url, tmp_path, exchange=exchange, **FAST)
    try:
        with TestClient(create_app(settings, plugins=[*PLUGINS, "kds"])) as client:
            api = Api(client, make_tenant(settings))
            menu = create_menu(api)
            made = api.post("/api/v1/kds/stations", "manager", json={
                "code": "bar", "name": "Bar",
                "category_ids": [menu["Guaraná lata"]["category_id"]],
                "product_ids": [menu["Pudim de leite"]["product_id"]]})
            assert made.status_code == 201, made.text
            add_printer(api, "Cozinha", role="cozinha", connection=printer.connection)
            add_printer(api, "Bar", role="bar", connection=bar.connection)
            order = _confirmed_order(api, menu, ("X-Burger", "1"), ("Guaraná lata", "2"),
                                     ("Pudim de leite", "1"))
            def printed():
                found = _jobs(api, reference_id=order["order_id"])
                done = len(found) == 2 and all(j["status"] == "done" for j in found)
                return found if done else None
            assert sorted(j["role"] for j in wait_for(printed)) == ["bar", "cozinha"]
            screens = {station: [item["product_name"] for ticket in api.get(
                "/api/v1/kds/tickets", "kitchen", params={"station": station}).json()["items"]
                for item in ticket["items"]] for station in ("bar", "cozinha")}
        assert "2x Guaraná lata" in bar.text() and "1x Pudim de leite" in bar.text()
        assert "X-Burger" not in bar.text()
        assert "1x X-Burger" in printer.text() and "Guaraná" not in printer.text()
        assert sorted(screens["bar"]) == ["Guaraná lata", "Pudim de leite"]
        assert screens["cozinha"] == ["X-Burger"]
    finally:
        bar.stop()
