"""The event bus panel: exchanges and queues with depth, rates and consumers.

On RabbitMQ the numbers come from its management API (the broker's own view, every process
included); with the in-process ``memory://`` bus, from kombu's queues and this process's counters,
with rates computed between two looks. Either way the process's own bus counters come along.
An unreachable broker is reported in the panel, never as an error of the request.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import httpx
from kombu import Connection

from posmodern.core.runtime import Runtime
from posmodern.plugins.dashboard.config import DashboardConfig, broker_vhost


class EventBusPanel:
    def __init__(self, runtime: Runtime, config: DashboardConfig) -> None:
        self.runtime = runtime
        self.config = config
        self._previous: tuple[float, dict[str, int]] | None = None

    async def read(self) -> dict[str, Any]:
        bus = self.runtime.bus
        body: dict[str, Any] = {"broker": "memory" if bus.is_memory else "rabbitmq",
                                "url": bus.safe_url, "exchange": bus.exchange.name,
                                "process": bus_stats(bus)}
        if bus.is_memory:
            body.update(source="in-process", **await asyncio.to_thread(self._memory))
        else:
            body.update(source="rabbitmq-management", **await self._rabbitmq())
        return body

    # --- in-process ----------------------------------------------------------------------------

    def _queue_names(self) -> list[tuple[str, int]]:
        """The queues this process consumes, with their consumer count (one each)."""
        bus = self.runtime.bus
        names = [(bus.queue_for(s).name, 1) for s in bus.subscriptions]
        broadcast = bus.broadcast_queue()
        if broadcast is not None:
            names.append((broadcast.name, 1))
        return names

    def _memory(self) -> dict[str, Any]:
        bus = self.runtime.bus
        queues = []
        with Connection(bus.broker_url) as conn:
            channel = conn.channel()
            for name, consumers in self._queue_names():
                try:
                    _, depth, _ = channel.queue_declare(queue=name, passive=True)
                except Exception:  # noqa: BLE001 - not declared yet
                    depth = None
                queues.append({"name": name, "messages": depth, "consumers": consumers})
        now = time.monotonic()
        counters = {"published": bus.stats.published,
                    "handled": sum(bus.stats.handled.values())}
        rates = {"publish_rate": None, "deliver_rate": None}
        if self._previous is not None and now > self._previous[0]:
            elapsed = now - self._previous[0]
            rates = {"publish_rate": round((counters["published"]
                                            - self._previous[1]["published"]) / elapsed, 2),
                     "deliver_rate": round((counters["handled"]
                                            - self._previous[1]["handled"]) / elapsed, 2)}
        self._previous = (now, counters)
        return {"status": "ok", "overview": {"queues": len(queues), "exchanges": 1, **rates},
                "exchanges": [{"name": bus.exchange.name, "type": bus.exchange.type,
                               "durable": bus.exchange.durable,
                               "publish_rate": rates["publish_rate"]}],
                "queues": queues}

    # --- RabbitMQ ------------------------------------------------------------------------------

    async def _rabbitmq(self) -> dict[str, Any]:
        if not self.config.management_url:
            return {"status": "error", "error": "no RabbitMQ management URL "
                    "(RABBITMQ_MANAGEMENT_URL)", "exchanges": [], "queues": []}
        parts = urlsplit(self.config.management_url)
        auth = (parts.username or "guest", parts.password or "guest")
        base = urlunsplit((parts.scheme, parts.hostname + (f":{parts.port}" if parts.port else ""),
                           parts.path.rstrip("/"), "", ""))
        vhost = quote(broker_vhost(self.runtime.bus.broker_url), safe="")
        prefix = self.runtime.bus.exchange.name
        try:
            async with httpx.AsyncClient(base_url=base, auth=auth, timeout=5) as client:
                overview, exchanges, queues = await asyncio.gather(
                    _get(client, "/api/overview"), _get(client, f"/api/exchanges/{vhost}"),
                    _get(client, f"/api/queues/{vhost}"))
        except (httpx.HTTPError, ValueError) as exc:
            return {"status": "error", "error": f"RabbitMQ management API at {base}: {exc}",
                    "exchanges": [], "queues": []}
        totals = overview.get("object_totals") or {}
        stats = overview.get("message_stats") or {}
        return {
            "status": "ok",
            "overview": {"version": overview.get("rabbitmq_version"),
                         "connections": totals.get("connections"),
                         "channels": totals.get("channels"),
                         "consumers": totals.get("consumers"),
                         "queues": totals.get("queues"), "exchanges": totals.get("exchanges"),
                         "messages": (overview.get("queue_totals") or {}).get("messages"),
                         "publish_rate": _rate(stats, "publish"),
                         "deliver_rate": _rate(stats, "deliver_get")},
            "exchanges": [{"name": e["name"], "type": e.get("type"),
                           "durable": e.get("durable"),
                           "publish_rate": _rate(e.get("message_stats") or {}, "publish_in")}
                          for e in exchanges if e.get("name") == prefix],
            "queues": [{"name": q["name"], "messages": q.get("messages"),
                        "ready": q.get("messages_ready"),
                        "unacked": q.get("messages_unacknowledged"),
                        "consumers": q.get("consumers"), "state": q.get("state"),
                        "durable": q.get("durable"),
                        "publish_rate": _rate(q.get("message_stats") or {}, "publish"),
                        "deliver_rate": _rate(q.get("message_stats") or {}, "deliver_get"),
                        "ack_rate": _rate(q.get("message_stats") or {}, "ack")}
                       for q in queues if q.get("name", "").startswith(prefix + ".")],
        }


async def _get(client: httpx.AsyncClient, path: str) -> Any:
    response = await client.get(path)
    if response.status_code != 200:
        raise ValueError(f"GET {path} answered {response.status_code}")
    return response.json()


def _rate(stats: dict[str, Any], name: str) -> float | None:
    details = stats.get(f"{name}_details")
    return round(details["rate"], 2) if details and "rate" in details else None


def bus_stats(bus) -> dict[str, Any]:
    """The in-process bus counters as JSON."""
    stats = bus.stats
    return {"published": stats.published, "handled": dict(stats.handled),
            "duplicates": stats.duplicates, "failures": stats.failures, "dead": stats.dead,
            "backlog": stats.backlog,
            "last_sweep": (datetime.fromtimestamp(stats.last_sweep, timezone.utc).isoformat()
                           if stats.last_sweep else None)}
