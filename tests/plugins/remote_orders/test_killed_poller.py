"""A poller process killed at any point loses no order and takes none twice: ``pos remote-orders
poll`` runs in a subprocess, is killed (SIGKILL) while it waits on iFood (polling, fetching the
order, acknowledging after the commit) or at a random moment, and the next poll makes good."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.remote_orders import poll, remote_orders
from support.tenant_db import wait_for

POS = str(Path(sys.executable).with_name("pos"))
PLUGINS = "auth,catalog,customers,orders,payments,kds,settings,remote_orders,ifood,opendelivery"


def _start_poller(settings, client_id: str) -> subprocess.Popen:
    env = {**os.environ, **settings.extra, "POS_PLUGINS": PLUGINS, "POS_AUTO_MIGRATE": "false"}
    return subprocess.Popen([POS, "remote-orders", "poll", "--client", client_id], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
    process.wait(10)


@pytest.mark.parametrize("route", ["polling", "order", "acknowledgment"])
def test_killed_while_waiting_on_ifood(api, ifood, remote_settings, route):
    placed = ifood.place([("XB", "1", "26.90")])
    released = ifood.hang(route)
    process = _start_poller(remote_settings, api.tenant.client_id)
    try:
        assert ifood.entered[route].wait(60), "the poller never got there"
    finally:
        _kill(process)
        released.set()
        del ifood.hanging[route]
    taken_before = [o["external_id"] for o in remote_orders(api)]
    # Killed before the commit: nothing; killed while acknowledging: the order, committed.
    assert taken_before == ([placed["id"]] if route == "acknowledgment" else [])
    [report] = poll(api)
    assert report["acknowledged"] == 1 and ifood.events == []
    assert [o["external_id"] for o in remote_orders(api)] == [placed["id"]]


def test_killed_at_random_moments_every_order_exists_once(api, ifood, remote_settings):
    rng = random.Random(17)
    placed = [ifood.place([("XB", "1", "26.90")])["id"] for _ in range(3)]
    for _ in range(4):
        process = _start_poller(remote_settings, api.tenant.client_id)
        time.sleep(rng.uniform(0.5, 3.0))
        _kill(process)
    wait_for(lambda: poll(api) and not ifood.events, timeout=30)
    taken = sorted(o["external_id"] for o in remote_orders(api))
    assert taken == sorted(placed)
