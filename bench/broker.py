"""What a bench leaves on the machine's RabbitMQ: its exchange and the queues named after it
(the subscriptions of the servers it started), deleted when it ends."""

from __future__ import annotations

import httpx
from kombu import Connection

AMQP = "amqp://guest:guest@127.0.0.1:5672//"
MANAGEMENT = "http://127.0.0.1:15672/api/queues"


def drop_exchange(exchange: str, amqp: str = AMQP) -> None:
    """Delete ``exchange`` and every queue named ``<exchange>.…``; nothing if ``amqp`` is not
    RabbitMQ (``memory://``)."""
    if not amqp.startswith("amqp"):
        return
    queues = httpx.get(MANAGEMENT, auth=("guest", "guest"), timeout=10).json()
    with Connection(amqp) as conn:
        channel = conn.channel()
        for queue in queues:
            if queue["name"].startswith(exchange + "."):
                channel.queue_delete(queue["name"])
        channel.exchange_delete(exchange)
