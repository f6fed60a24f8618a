"""Printers over HTTP: registering, validating, roles; a test page reaches a network printer
on 127.0.0.1 and a serial printer on a pty, with its accents in the printer's code page."""

import pytest
from support.api import assert_error
from support.fake_printer import CUT, SerialPair
from support.peripherals import add_printer, wait_job

PRINTERS = "/api/v1/peripherals/printers"


def test_the_built_in_drivers_and_profiles_are_listed(api):
    listed = api.get("/api/v1/peripherals/drivers", "kitchen").json()
    assert {"escpos-network", "escpos-serial", "escpos-cups"} <= {
        d["name"] for d in listed["drivers"]}
    assert {"epson-tm-t20", "elgin-i9", "bematech-mp4200"} <= {
        p["name"] for p in listed["profiles"]}


def test_a_manager_registers_changes_and_removes_a_printer(api, printer):
    made = add_printer(api, "Cozinha quente", role="Cozinha", connection=printer.connection,
                       paper_mm=58, profile="elgin-i9")
    assert made["role"] == "cozinha" and made["paper_mm"] == 58
    assert made["connection"] == {"host": "127.0.0.1", "port": printer.port, "timeout": 2.0,
                                  "status_query": True}
    one = f"{PRINTERS}/{made['printer_id']}"
    changed = api.patch(one, "manager", json={"paper_mm": 80, "name": "Chapa"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["paper_mm"], changed.json()["name"]) == (80, "Chapa")
    assert [p["name"] for p in api.get(PRINTERS, "waiter").json()["printers"]] == ["Chapa"]
    assert api.delete(one, "manager").json()["deleted"] is True
    assert_error(api.get(one), 404, "printer_not_found")


def test_the_kitchen_cannot_manage_printers(api, printer):
    body = {"name": "X", "driver": "escpos-network", "role": "bar",
            "connection": printer.connection}
    assert_error(api.post(PRINTERS, "kitchen", json=body), 403)
    made = add_printer(api, connection=printer.connection)
    assert_error(api.patch(f"{PRINTERS}/{made['printer_id']}", "kitchen",
                           json={"name": "Y"}), 403)
    assert_error(api.delete(f"{PRINTERS}/{made['printer_id']}", "cashier"), 403)


@pytest.mark.parametrize("driver, connection, code", [
    ("laser-jet", {"host": "10.0.0.5"}, "unknown_driver"),
    ("escpos-network", {"host": "10.0.0.5", "port": 70000}, "bad_connection"),
    ("escpos-network", {"host": "bad host; rm -rf"}, "bad_connection"),
    ("escpos-network", {"hostname": "10.0.0.5"}, "bad_connection"),
    ("escpos-serial", {"device": "/etc/passwd"}, "bad_connection"),
    ("escpos-serial", {"device": "/dev/../etc/shadow"}, "bad_connection"),
    ("escpos-serial", {"device": "/dev/ttyUSB0", "baudrate": 1234}, "bad_connection"),
    ("escpos-cups", {"queue": "a b"}, "bad_connection"),
])
def test_a_bad_driver_or_connection_is_refused_and_nothing_is_stored(api, driver, connection,
                                                                    code):
    refused = api.post(PRINTERS, json={"name": "X", "driver": driver, "role": "bar",
                                       "connection": connection})
    assert_error(refused, 422, code)
    assert api.get(PRINTERS).json()["printers"] == []


def test_a_bad_connection_names_its_field_as_a_body_does(api):
    refused = api.post(PRINTERS, json={"name": "X", "driver": "escpos-network", "role": "bar",
                                       "connection": {"host": "10.0.0.5", "port": 70000}})
    error = assert_error(refused, 422, "bad_connection")
    assert [(d["loc"], d["type"]) for d in error["details"]] == [
        (["connection", "port"], "less_than_equal")]


def test_a_backup_must_be_another_printer_of_the_same_role(api, printer):
    bar = add_printer(api, "Bar", role="bar", connection=printer.connection)
    refused = api.post(PRINTERS, json={"name": "Caixa", "driver": "escpos-network",
                                       "role": "receipt", "connection": printer.connection,
                                       "backup_printer_id": bar["printer_id"]})
    assert_error(refused, 422, "bad_backup_printer")
    assert_error(api.patch(f"{PRINTERS}/{bar['printer_id']}",
                           json={"backup_printer_id": bar["printer_id"]}), 422,
                 "bad_backup_printer")
    assert_error(api.post(PRINTERS, json={"name": "X", "driver": "escpos-network",
                                          "role": "bar", "connection": printer.connection,
                                          "profile": "hp-laserjet"}), 422, "unknown_profile")


def test_a_test_page_reaches_a_network_printer_with_its_accents(api, printer):
    made = add_printer(api, "Balcão", connection=printer.connection, profile="epson-tm-t20")
    queued = api.post(f"{PRINTERS}/{made['printer_id']}/test", "manager")
    assert queued.status_code == 202, queued.text
    done = wait_job(api, queued.json()["job_id"])
    assert done["attempts"] == 1 and done["printed_at"]
    assert printer.data().startswith(b"\x1b@\x1bt\x03")  # PC860 selected
    assert "TESTE DE IMPRESSÃO" in printer.text("cp860")
    assert "ação, pão, café, açúcar" in printer.text("cp860")
    assert len(printer.tickets()) == 1


def test_a_serial_printer_on_a_pty_gets_the_bytes_in_cp850(api):
    pair = SerialPair()
    try:
        made = add_printer(api, "Serial", driver="escpos-serial",
                           connection={"device": pair.device, "baudrate": 19200},
                           profile="bematech-mp4200", paper_mm=58)
        api.post(f"{PRINTERS}/{made['printer_id']}/test", "manager")
        data = pair.read(until=CUT)
    finally:
        pair.close()
    assert data.startswith(b"\x1b@\x1bt\x02")
    assert "Acentuação: ação, pão" in data.decode("cp850")
    assert CUT in data
