"""``pos fiscal reconcile`` on a schedule (POS_FISCAL_RECONCILE_SECONDS): a note whose send got no
answer, with a contingency note standing in for it, has its number voided and the contingency
note authorised by the schedule alone, the sender's own passes being 10 minutes apart and nobody
running the command; of two processes, one holds the schedule."""

import time

from posmodern.hosts.app import create_app
from posmodern.plugins.fiscal.reconcile_schedule import STATE
from posmodern.schema.tables import fiscal_documents
from sqlalchemy import select
from starlette.testclient import TestClient
from support.api import Api, make_tenant
from support.fiscal import (
    FAST, PLUGINS, configure, give_fiscal_data, paid_order, store_settings, wait_document)
from support.fiscal_cert import PASSWORD
from support.menu import create_menu
from support.settings import make_settings
from support.tenant_db import fetch, wait_for

#: The sender looks on its own at start-up and when a payment wakes it, then only every 600 s.
SLOW_SENDER = {**FAST, "POS_FISCAL_POLL_SECONDS": "600"}


def _numbers(settings, client_id):
    rows = fetch(settings, client_id, select(fiscal_documents.c.number,
                                             fiscal_documents.c.status)
                 .order_by(fiscal_documents.c.number))
    return [tuple(row) for row in rows]


def _skipped_number(api, sefaz, certificate) -> None:
    """SEFAZ silent: the order's note (number 1) gets no answer and a contingency note
    (number 2) stands in for it; then SEFAZ answers again."""
    sefaz.silence = 6.0
    configure(api, store_settings(sefaz.url, certificate[0], PASSWORD))
    menu = create_menu(api)
    give_fiscal_data(api, menu, "X-Burger")
    order = paid_order(api, menu, ("X-Burger", "1"))
    wait_document(api, order["order_id"], "CONTINGENCY")
    wait_document(api, order["order_id"], "UNANSWERED")
    sefaz.silence = 0


def test_the_schedule_voids_a_skipped_number_without_the_command(
        database_url, tmp_path, exchange, sefaz, certificate):
    settings = make_settings(database_url, tmp_path, exchange=exchange, **SLOW_SENDER,
                             POS_FISCAL_RECONCILE_SECONDS="1")
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(settings))
        _skipped_number(api, sefaz, certificate)
        assert _numbers(settings, api.tenant.client_id) == [(1, "UNANSWERED"), (2, "CONTINGENCY")]
        found = wait_for(lambda: _numbers(settings, api.tenant.client_id) == [
            (1, "VOIDED"), (2, "AUTHORISED")], timeout=20)
        assert found
        assert sefaz.voided == [(1, 1, 1)]
        assert client.app.state.runtime.state[STATE].passes >= 1


def test_without_the_schedule_the_skipped_number_waits(
        database_url, tmp_path, exchange, sefaz, certificate):
    """The control: the same with the schedule off (0): in four of its periods nothing moves
    (so the test above sees the schedule's work, not the sender's)."""
    settings = make_settings(database_url, tmp_path, exchange=exchange, **SLOW_SENDER,
                             POS_FISCAL_RECONCILE_SECONDS="0")
    with TestClient(create_app(settings, plugins=PLUGINS)) as client:
        api = Api(client, make_tenant(settings))
        _skipped_number(api, sefaz, certificate)
        time.sleep(4)
        assert _numbers(settings, api.tenant.client_id) == [(1, "UNANSWERED"), (2, "CONTINGENCY")]
        assert sefaz.voided == []
        assert STATE not in client.app.state.runtime.state or \
            client.app.state.runtime.state[STATE].election is None


def test_of_two_processes_one_holds_the_schedule(database_url, tmp_path, exchange):
    """Two apps of one deployment (one bus exchange, one database): one campaigns and wins, the
    other waits; when the holder stops, the other takes the schedule over."""
    settings = make_settings(database_url, tmp_path, exchange=exchange, **SLOW_SENDER,
                             POS_FISCAL_RECONCILE_SECONDS="1")
    with TestClient(create_app(settings, plugins=PLUGINS)) as first:
        with TestClient(create_app(settings, plugins=PLUGINS)) as second:
            schedules = [c.app.state.runtime.state[STATE] for c in (first, second)]
            wait_for(lambda: any(s.election.leading for s in schedules), timeout=10)
            time.sleep(2.5)  # the other tried again meanwhile (every 2 s)
            assert sorted(s.election.leading for s in schedules) == [False, True]
            holder = schedules.index(next(s for s in schedules if s.election.leading))
        if holder == 1:  # the second stopped: the first takes over
            assert wait_for(lambda: schedules[0].election.leading, timeout=10)
