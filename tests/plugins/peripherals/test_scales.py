"""A Toledo Prix-style scale on a pty pair (ENQ → STX, five digits of grams, ETX; 9600 8N1): the
weight in kg when it is stable, 409 while it moves or shows no weight to sell, 504 when it does
not answer, 503 when its device cannot be opened; bad registrations are 4xx and store nothing."""

import pytest
from support.api import assert_error
from support.fake_printer import ToledoScale

SCALES = "/api/v1/peripherals/scales"


@pytest.fixture
def scale():
    device = ToledoScale()
    yield device
    device.close()


def _register(api, device, **connection):
    made = api.post(SCALES, "manager", json={
        "name": "Balança do caixa", "connection": {"device": device, **connection}})
    assert made.status_code == 201, made.text
    return made.json()


def test_the_cashier_reads_a_stable_weight_in_kg(api, scale):
    made = _register(api, scale.device, timeout=0.5)
    assert api.get(SCALES, "cashier").json()["scales"] == [made]
    weight = f"{SCALES}/{made['scale_id']}/weight"
    read = api.get(weight, "cashier")
    assert read.status_code == 200, read.text
    assert read.json() | {"scale_id": None} == {"scale_id": None, "weight_kg": "0.350",
                                                "grams": 350, "stable": True}
    scale.answer = b"12345"
    assert api.get(weight, "waiter").json()["weight_kg"] == "12.345"
    scale.answer = b"IIIII"  # still moving
    assert_error(api.get(weight, "cashier"), 409, "weight_unstable")
    scale.answer = b"NNNNN"
    assert_error(api.get(weight, "cashier"), 409, "weight_negative")
    scale.answer = b"SSSSS"
    assert_error(api.get(weight, "cashier"), 409, "scale_overloaded")
    scale.answer = None  # switched off: ENQ gets nothing back
    assert_error(api.get(weight, "cashier"), 504, "scale_timeout")
    scale.answer = b"00980"
    assert api.get(weight, "cashier").json()["weight_kg"] == "0.980"
    assert_error(api.get(weight, "kitchen"), 403)


def test_bad_scales_are_refused_and_nothing_is_stored(api, scale):
    for connection in ({"device": "/etc/passwd"}, {"device": "/dev/../etc/passwd"},
                       {"device": scale.device, "baudrate": 1234},
                       {"device": scale.device, "timeout": -1},
                       {"device": scale.device, "parity": "E"}, {}):
        refused = api.post(SCALES, "manager", json={"name": "X", "connection": connection})
        assert refused.status_code == 422, (connection, refused.text)
    assert_error(api.post(SCALES, "manager", json={
        "name": "X", "protocol": "filizola-nova", "connection": {"device": scale.device}}), 422)
    assert_error(api.post(SCALES, "cashier", json={
        "name": "X", "connection": {"device": scale.device}}), 403)
    assert api.get(SCALES).json()["scales"] == []
    missing = "00000000-0000-0000-0000-000000000000"
    assert_error(api.get(f"{SCALES}/{missing}/weight", "cashier"), 404, "scale_not_found")
    gone = _register(api, "/dev/ttyPOSNOPE0")  # unplugged: the device is not there
    assert_error(api.get(f"{SCALES}/{gone['scale_id']}/weight", "cashier"), 503,
                 "scale_unavailable")
    assert api.delete(f"{SCALES}/{gone['scale_id']}", "manager").status_code == 200
    assert_error(api.get(f"{SCALES}/{gone['scale_id']}/weight", "cashier"), 404)
