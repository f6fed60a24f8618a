"""The event bus: kombu transport, consumers and broadcasts.

- **Publishing.** :meth:`EventBus.publish_rows` sends outbox rows to a kombu topic exchange
  (routing key = event type; persistent messages; publisher confirms on RabbitMQ), from one
  publisher thread. The bus's :class:`~posmodern.core.relay.OutboxRelay` (``bus.relay``) decides
  which committed rows go and when; the bus starts it once the exchange is there and stops it
  before closing the publisher, so its last flush still goes out.
- The **consumer** (a thread, as kombu is synchronous) takes each :class:`Subscription`'s durable
  queue, shared by every replica of the service, and each process's own broadcast queue; it hands
  messages to the event loop without waiting (the subscriptions run side by side, each one's
  messages in order) and acknowledges each once handled. A subscription's handler runs in a
  transaction that also records the event id, so a redelivered event changes nothing. Events of
  one subscription and tenant that wait their turn are handled together, in one transaction (up
  to ``BATCH``); if that fails, each is tried on its own, so one bad event holds up no other.
- ``memory://`` is kombu's in-process transport: the embedded mode runs the same code path.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import Counter, deque
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from kombu import Connection, Consumer, Exchange, Producer, Queue, binding
from kombu.message import Message

from posmodern.core.asyncio_hooks import await_me_maybe
from posmodern.core.db import Database
from posmodern.core.errors import NotFound
from posmodern.core.events import Broadcast, Envelope, Subscription, matches
from posmodern.core.processed import first_deliveries
from posmodern.core.relay import OutboxRelay, RelayStats
from posmodern.core.retention import Retention

log = logging.getLogger("posmodern.bus")

MAX_ATTEMPTS = 5
#: At most this many waiting events of a subscription are handled in one transaction (no more
#: than a consumer's prefetch, so a batch is what came while the previous one was handled).
BATCH = 32


class _Confirms:
    """Publisher confirms of one channel: delivery tags sent and not yet acknowledged."""

    def __init__(self) -> None:
        self.last = 0
        self.pending: set[int] = set()
        self.refused = False

    def sent(self) -> None:
        self.last += 1
        self.pending.add(self.last)

    def ack(self, tag: int, multiple: bool) -> None:
        if multiple:
            self.pending = {t for t in self.pending if t > tag}
        else:
            self.pending.discard(tag)

    def nack(self, tag: int, multiple: bool) -> None:
        self.refused = True
        self.ack(tag, multiple)

    def wait(self, connection: Connection, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"the broker did not confirm {len(self.pending)} messages")
            connection.drain_events(timeout=remaining)
        if self.refused:
            self.refused = False
            raise RuntimeError("the broker refused (nacked) a message")


@dataclass
class BusStats(RelayStats):
    """Counters the dashboard and ``/metrics`` show: the relay's, and the consumers'."""

    handled: Counter = field(default_factory=Counter)
    duplicates: int = 0
    failures: int = 0
    dead: int = 0


class EventBus:
    """Transport, relay and dispatch for one process.

    ``poll_seconds``, ``linger_seconds``, ``retention`` and ``relay_options`` are the relay's
    (:class:`~posmodern.core.relay.OutboxRelay`); the processes of one exchange elect one
    sweeping relay among them.
    """

    def __init__(self, db: Database, broker_url: str, *, exchange: str = "posmodern.events",
                 subscriptions: list[Subscription] | None = None,
                 broadcasts: list[Broadcast] | None = None, poll_seconds: float = 0.5,
                 linger_seconds: float = 0.0, retention: Retention | None = None,
                 **relay_options) -> None:
        self.db = db
        # kombu warns about a memory:// URL without a host name; give it one.
        self.broker_url = "memory://localhost/" if broker_url.rstrip("/") == "memory:" else broker_url
        self.exchange = Exchange(exchange, type="topic", durable=True, delivery_mode="persistent")
        self.subscriptions = list(subscriptions or [])
        self.broadcasts = list(broadcasts or [])
        self.stats = BusStats()
        self.relay = OutboxRelay(db, self.publish_rows, poll_seconds=poll_seconds,
                                 linger_seconds=linger_seconds, retention=retention,
                                 stats=self.stats, **{"deployment": exchange, **relay_options})
        self._check_names()
        self._stopping = threading.Event()
        self._publisher_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pos-publish")
        self._publisher: Connection | None = None
        self._producer: Producer | None = None
        self._confirms: _Confirms | None = None
        self._consumer_thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._attempts: Counter = Counter()
        self._consuming = threading.Event()
        #: Messages handed to the event loop and not yet acknowledged (the consumer thread's).
        self._in_flight: list[tuple[Future, Message, Envelope, str]] = []
        #: Each subscription's events waiting their turn, and the task handling them (the event
        #: loop's); the broadcasts take turns by a lock.
        self._waiting: dict[str, deque[tuple[Envelope, Future]]] = {}
        self._draining: dict[str, asyncio.Task] = {}
        self._broadcast_turn: asyncio.Lock | None = None
        self._instance = uuid.uuid4().hex[:12]

    def add_broadcasts(self, broadcasts: list[Broadcast]) -> None:
        """Add per-process listeners; call before :meth:`start`."""
        self.broadcasts.extend(broadcasts)
        self._check_names()

    def _check_names(self) -> None:
        names = [s.name for s in self.subscriptions] + [b.name for b in self.broadcasts]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"duplicate subscription names: {', '.join(duplicated)}")

    @property
    def is_memory(self) -> bool:
        return self.broker_url.startswith("memory://")

    def _connection(self, *, confirms: bool = True) -> Connection:
        options = {"polling_interval": 0.005} if self.is_memory else {"confirm_publish": confirms}
        return Connection(self.broker_url, transport_options=options, heartbeat=0,
                          connect_timeout=5)

    def queue_for(self, subscription: Subscription) -> Queue:
        """The durable queue shared by every replica handling ``subscription``."""
        return self._bound_queue(f"{self.exchange.name}.{subscription.name}",
                                 subscription.event_types, durable=True)

    def broadcast_queue(self) -> Queue | None:
        """This process's own queue of the broadcast events (None without broadcasts)."""
        if not self.broadcasts:
            return None
        types = tuple(sorted({t for b in self.broadcasts for t in b.event_types}))
        return self._bound_queue(f"{self.exchange.name}.broadcast.{self._instance}", types,
                                 durable=False)

    def _bound_queue(self, name: str, event_types: tuple[str, ...], *, durable: bool) -> Queue:
        return Queue(name, bindings=[binding(self.exchange, routing_key=t) for t in event_types],
                     durable=durable, auto_delete=not durable, exclusive=False)

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Connect, declare the exchange and queues, and start consuming and relaying.

        A broker that cannot be reached does not stop the process: it serves, its events wait
        in the outbox, and the consumer and the relay connect once the broker is back (nothing
        is relayed before this process's queues are declared, see :meth:`publish_rows`)."""
        self._loop = asyncio.get_running_loop()
        reached = True
        try:
            await self._in_publisher(self._open_publisher)
        except Exception as exc:  # noqa: BLE001 - the relay opens it again when it can
            reached = False
            await self._in_publisher(self._close_publisher)
            log.warning("the broker %s cannot be reached (%s): serving anyway; events wait in "
                        "the outbox until it is back", self.safe_url, exc)
        if self.subscriptions or self.broadcasts:
            self._consumer_thread = threading.Thread(
                target=self._consume, name="pos-consumer", daemon=True)
            self._consumer_thread.start()
            if reached and not await asyncio.to_thread(self._consuming.wait, 15):
                log.warning("the event consumer could not start on %s yet; it keeps trying",
                            self.safe_url)
        await self.relay.start()

    async def stop(self) -> None:
        """Stop the relay once it has sent what is committed, then stop consuming and close
        connections."""
        await self.relay.stop()
        self._stopping.set()
        if self._consumer_thread is not None:
            await asyncio.to_thread(self._consumer_thread.join, 10)
            self._consumer_thread = None
        await self._in_publisher(self._close_publisher)
        self._publisher_thread.shutdown(wait=True)

    @property
    def safe_url(self) -> str:
        return Connection(self.broker_url).as_uri()

    # --- publishing (the publisher thread only) ----------------------------------------------

    async def publish_rows(self, rows) -> None:
        """Send outbox rows (``event_id``, ``event_type``, ``payload`` as stored JSON text) and
        return once the broker has every one (the relay's transport)."""
        if (self.subscriptions or self.broadcasts) and not self._consuming.is_set():
            # A queue not declared yet would not get what is sent: the rows stay pending.
            raise ConnectionError(f"the event consumer has not reached {self.safe_url} yet")
        await self._in_publisher(self._publish_batch, rows)

    async def _in_publisher(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._publisher_thread, fn, *args)

    def _open_publisher(self) -> None:
        self._publisher = self._connection(confirms=False)
        self._publisher.ensure_connection(max_retries=3)
        channel = self._publisher.channel()
        self.exchange(channel).declare()
        self._confirms = None
        if not self.is_memory:
            # Publisher confirms, awaited once per batch rather than once per message.
            self._confirms = _Confirms()
            channel.confirm_select()
            channel.events["basic_ack"].add(self._confirms.ack)
            channel.events["basic_nack"].add(self._confirms.nack)
        self._producer = Producer(channel, exchange=self.exchange)

    def _close_publisher(self) -> None:
        if self._publisher is not None:
            self._publisher.release()
            self._publisher = None
            self._producer = None

    def _publish_batch(self, rows) -> None:
        """Send outbox rows (their JSON as stored, not decoded and encoded again) and return
        once the broker has confirmed every one; on any failure the batch is retried once on a
        new connection, then the error goes up and the rows stay pending (a consumer drops
        what it already received, by event id)."""
        for attempt in (1, 2):
            try:
                if self._producer is None:
                    self._open_publisher()
                for row in rows:
                    self._producer.publish(
                        row.payload, routing_key=row.event_type, message_id=str(row.event_id),
                        delivery_mode=2, content_type="application/json",
                        content_encoding="utf-8")
                    if self._confirms is not None:
                        self._confirms.sent()
                if self._confirms is not None:
                    self._confirms.wait(self._publisher, timeout=30)
                return
            except Exception:
                self._close_publisher()
                if attempt == 2:
                    raise
                log.warning("publishing to the broker failed; reconnecting", exc_info=True)

    async def ping(self) -> None:
        """Raise if the broker cannot be reached."""
        def check() -> None:
            with self._connection() as conn:
                conn.ensure_connection(max_retries=1)
        await asyncio.to_thread(check)

    # --- consuming (the consumer thread) ------------------------------------------------------

    def _consume(self) -> None:
        failing = False
        while not self._stopping.is_set():
            try:
                with self._connection() as conn:
                    conn.ensure_connection(max_retries=3)
                    consumers = self._declare_consumers(conn)
                    for consumer in consumers:
                        consumer.consume()
                    self._consuming.set()
                    if failing:
                        failing = False
                        log.info("event consumer connected to %s again", self.safe_url)
                    while not self._stopping.is_set():
                        try:
                            conn.drain_events(timeout=0.02 if self._in_flight else 0.5)
                        except TimeoutError:
                            pass
                        except OSError as exc:
                            if "timed out" not in str(exc):
                                raise
                        self._settle()
                    # Stopping: what was taken is finished and acknowledged before closing.
                    self._settle(wait_seconds=8)
                    for consumer in consumers:
                        consumer.cancel()
            except Exception:  # noqa: BLE001 - reconnect after a broker failure
                # Unacknowledged messages come again from the broker (handlers deduplicate).
                self._in_flight = []
                if self._stopping.is_set():
                    return
                if failing:  # told already
                    log.debug("event consumer still cannot reach the broker", exc_info=True)
                else:
                    failing = True
                    log.exception("event consumer lost its broker connection; reconnecting")
                time.sleep(1)

    def _declare_consumers(self, conn: Connection) -> list[Consumer]:
        channel = conn.channel()
        consumers = []
        for subscription in self.subscriptions:
            consumers.append(Consumer(
                channel, queues=[self.queue_for(subscription)], accept=["json"],
                prefetch_count=BATCH,
                callbacks=[self._callback(subscription.name, self._queue_for(subscription))]))
        queue = self.broadcast_queue()
        if queue is not None:
            consumers.append(Consumer(channel, queues=[queue], accept=["json"], prefetch_count=32,
                                      callbacks=[self._callback("broadcast", self._broadcast_soon)]))
        return consumers

    def _callback(self, name: str, submit):
        """Hand each message to the event loop (``submit`` → a future) without waiting for it:
        the subscriptions (and the broadcasts) of the process run side by side, each one's
        messages in the order they came; the consumer thread acknowledges them as they finish
        (:meth:`_settle`)."""
        def on_message(body, message) -> None:
            envelope = Envelope.from_dict(body)
            self._in_flight.append((submit(envelope), message, envelope, name))
        return on_message

    def _broadcast_soon(self, envelope: Envelope) -> Future:
        return asyncio.run_coroutine_threadsafe(self._broadcast(envelope), self._loop)

    def _queue_for(self, subscription: Subscription):
        def queue(envelope: Envelope) -> Future:
            future: Future = Future()
            self._loop.call_soon_threadsafe(self._wait_turn, subscription, envelope, future)
            return future
        return queue

    def _wait_turn(self, subscription: Subscription, envelope: Envelope, future: Future) -> None:
        waiting = self._waiting.setdefault(subscription.name, deque())
        waiting.append((envelope, future))
        if subscription.name not in self._draining:
            self._draining[subscription.name] = asyncio.create_task(
                self._drain(subscription, waiting))

    async def _drain(self, subscription: Subscription,
                     waiting: deque[tuple[Envelope, Future]]) -> None:
        """Handle ``subscription``'s waiting events in order, in batches of one tenant."""
        try:
            while waiting:
                batch = [waiting.popleft()]
                while (waiting and len(batch) < BATCH
                       and waiting[0][0].client_id == batch[0][0].client_id):
                    batch.append(waiting.popleft())
                await self._handle_batch(subscription, batch)
        finally:
            del self._draining[subscription.name]

    async def _handle_batch(self, subscription: Subscription,
                            batch: list[tuple[Envelope, Future]]) -> None:
        if len(batch) > 1:
            try:
                await self._handle(subscription, [envelope for envelope, _ in batch])
            except Exception:  # noqa: BLE001 - find which one fails, let the others through
                log.debug("a batch of %d events for %s failed; handling each alone",
                          len(batch), subscription.name, exc_info=True)
            else:
                for _, future in batch:
                    future.set_result(None)
                return
        for envelope, future in batch:
            try:
                await self._handle(subscription, [envelope])
            except Exception as exc:  # noqa: BLE001 - the consumer thread requeues it
                future.set_exception(exc)
            else:
                future.set_result(None)

    def _settle(self, wait_seconds: float = 0.0) -> None:
        """Acknowledge (or requeue) the messages whose handling finished; with
        ``wait_seconds``, wait that long for the others first."""
        if wait_seconds and self._in_flight:
            futures.wait([future for future, *_ in self._in_flight], timeout=wait_seconds)
        waiting = []
        for entry in self._in_flight:
            future, message, envelope, name = entry
            if not future.done():
                waiting.append(entry)
                continue
            try:
                future.result()
            except Exception:  # noqa: BLE001 - decide between retry and giving up
                key = (name, envelope.id)
                self._attempts[key] += 1
                self.stats.failures += 1
                if self._attempts[key] >= MAX_ATTEMPTS:
                    del self._attempts[key]
                    self.stats.dead += 1
                    log.error("giving up on event %s (%s) for %s after %d attempts",
                              envelope.id, envelope.type, name, MAX_ATTEMPTS)
                    message.ack()
                else:
                    log.warning("handler %s failed on event %s; requeued", name, envelope.id,
                                exc_info=future.exception())
                    message.requeue()
                continue
            message.ack()
        self._in_flight = waiting

    async def _handle(self, subscription: Subscription, envelopes: list[Envelope]) -> None:
        """Handle events of one tenant in one transaction, skipping those handled before."""
        client_id = envelopes[0].client_id
        handled = 0
        try:
            async with self.db.transaction(client_id) as conn:
                fresh = await first_deliveries(conn, subscription.name,
                                               [envelope.id for envelope in envelopes])
                for envelope in envelopes:
                    if envelope.id in fresh:
                        fresh.discard(envelope.id)  # the same event twice in one batch: once
                        await subscription.handle(envelope, conn)
                        handled += 1
        except NotFound:
            log.warning("%d events for unknown tenant %r dropped", len(envelopes), client_id)
            return
        self.stats.handled[subscription.name] += handled
        self.stats.duplicates += len(envelopes) - handled

    async def _broadcast(self, envelope: Envelope) -> None:
        if self._broadcast_turn is None:
            self._broadcast_turn = asyncio.Lock()
        async with self._broadcast_turn:  # asyncio's locks are fair: in the order they came
            await self._tell_listeners(envelope)

    async def _tell_listeners(self, envelope: Envelope) -> None:
        for listener in self.broadcasts:
            if any(matches(p, envelope.type) for p in listener.event_types):
                try:
                    await await_me_maybe(listener.listen(envelope))
                except Exception:  # noqa: BLE001 - one screen's failure must not stop others
                    log.exception("listener %s failed on %s", listener.name, envelope.type)
