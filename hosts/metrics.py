"""Prometheus metrics of one app: HTTP traffic, and the event bus read at scrape time."""

from __future__ import annotations

from typing import Callable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily


class Metrics:
    """A registry per app, so two apps in one process (tests) never share counters."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("pos_http_requests", "HTTP requests answered",
                                ["method", "route", "status"], registry=self.registry)
        self.latency = Histogram("pos_http_request_duration_seconds", "HTTP request latency",
                                 ["method", "route"], registry=self.registry,
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def watch_bus(self, stats: Callable[[], object]) -> None:
        """Expose the bus counters of the running process."""
        self.registry.register(_BusCollector(stats))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _BusCollector:
    def __init__(self, stats: Callable[[], object]) -> None:
        self.stats = stats

    def collect(self):
        stats = self.stats()
        if stats is None:
            return
        published = CounterMetricFamily("pos_events_published", "Events sent from the outbox")
        published.add_metric([], stats.published)
        yield published
        handled = CounterMetricFamily("pos_events_handled", "Events handled", labels=["subscription"])
        for name, count in stats.handled.items():
            handled.add_metric([name], count)
        yield handled
        duplicates = CounterMetricFamily("pos_events_duplicates", "Redelivered events skipped")
        duplicates.add_metric([], stats.duplicates)
        yield duplicates
        failures = CounterMetricFamily("pos_events_failures", "Event handler failures")
        failures.add_metric([], stats.failures)
        yield failures
        backlog = GaugeMetricFamily("pos_outbox_backlog", "Outbox rows waiting at the last sweep")
        backlog.add_metric([], stats.backlog)
        yield backlog
