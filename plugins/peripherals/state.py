"""What the plugin keeps in ``runtime.state["peripherals"]`` while the process runs."""

from __future__ import annotations

from posmodern.core.api import RequestContext
from posmodern.core.errors import ServiceUnavailable
from posmodern.plugins.peripherals.spool import Spool

NAME = "peripherals"


def spool_of(ctx: RequestContext) -> Spool:
    spool = ctx.runtime.state.get(NAME)
    if spool is None:
        raise ServiceUnavailable("the print spool is not running", code="spool_not_running")
    return spool
