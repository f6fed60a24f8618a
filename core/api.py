"""What a plugin hands the host, and what the host hands a plugin's endpoint.

Plugins contribute :class:`ApiRoute` and :class:`StaticAssets` objects through the host hooks; the
host turns them into Starlette routes, checks the token and role, validates the body and query
with the route's pydantic models, and calls the endpoint with a :class:`RequestContext`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.requests import Request
from starlette.responses import Response

from posmodern.core.errors import PayloadTooLarge

if TYPE_CHECKING:
    from posmodern.core.runtime import Runtime

ROLES = ("admin", "manager", "cashier", "waiter", "kitchen", "kiosk", "integration")
ANY_ROLE = frozenset(ROLES)
PUBLIC = None


@dataclass(frozen=True)
class Principal:
    """Who is calling: from the verified token only."""

    user_id: str
    username: str
    client_id: str
    store_id: str
    roles: frozenset[str]

    def has_any(self, roles: frozenset[str] | set[str] | tuple[str, ...]) -> bool:
        return bool(self.roles & set(roles))


@dataclass
class Reply:
    """An endpoint's answer: a JSON body and a status (201 for created, …)."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Endpoint = Callable[["RequestContext"], Awaitable["Reply | Response | dict | list"]]


@dataclass(frozen=True)
class ApiRoute:
    """One HTTP route a plugin contributes.

    ``roles`` is the set of roles allowed (``PUBLIC`` for no token). ``body``/``query`` are pydantic
    models the host validates before the endpoint runs; they also document the route in
    ``/openapi.json``. ``idempotent`` routes honour the ``Idempotency-Key`` header: the endpoint
    runs in a transaction that also stores its response under the key.

    ``own_transactions`` is for endpoints that call an outside service (a payment provider) and
    must not hold a transaction open meanwhile: with a key, the key is claimed in a short
    transaction of its own, the endpoint opens its own transactions (``ctx.transaction()``), and
    its answer is stored afterwards. A failed attempt releases the key, so a retry runs again:
    such an endpoint must itself recognise its earlier attempt (``ctx.idempotency_key``).

    ``errors`` names the statuses the route may answer besides the host's usual ones (400-422,
    503), for ``/openapi.json``: 502 and 504 on a route that calls an outside service.
    """

    name: str
    method: str
    path: str
    endpoint: Endpoint
    roles: frozenset[str] | None
    summary: str = ""
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status_code: int = 200
    tags: tuple[str, ...] = ()
    idempotent: bool = False
    response_description: str = "OK"
    own_transactions: bool = False
    errors: tuple[int, ...] = ()


@dataclass(frozen=True)
class StaticAssets:
    """A folder of static files (a web page) served at ``path``."""

    name: str
    path: str
    directory: Path


@dataclass(frozen=True)
class App:
    """A page people open from the start page ``/``: the KDS, the POS, the back office…

    ``title`` and ``description`` are shown as they are (pt-BR); ``icon`` is one emoji or short
    text; ``roles`` are the roles that see the link (the page still checks its own API calls).
    ``position`` orders the links, smallest first.
    """

    name: str
    path: str
    title: str
    roles: frozenset[str]
    icon: str = ""
    description: str = ""
    position: int = 100

    def view(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.path, "title": self.title, "icon": self.icon,
                "description": self.description}


@dataclass(frozen=True)
class RequestContext:
    """Everything an endpoint needs about one request.

    ``idempotency_key`` is the request's ``Idempotency-Key`` on an idempotent route (None
    without one). ``conn``, when given, is the transaction the host opened for the endpoint (an
    idempotent route's, which also stores the answer under the key): :meth:`transaction` then
    yields it instead of opening one. The host builds a context for that transaction with
    ``dataclasses.replace(ctx, conn=conn)``; an endpoint never sets it.
    """

    request: Request
    runtime: "Runtime"
    principal: Principal | None
    route: ApiRoute
    request_id: str
    body: Any = None
    query: Any = None
    idempotency_key: str | None = None
    conn: AsyncConnection | None = None

    async def raw_body(self) -> bytes:
        """The request's body as sent (a webhook checks its signature on these bytes), at most
        ``POS_MAX_BODY_BYTES`` (413 past that)."""
        limit = self.runtime.settings.max_body_bytes
        chunks, size = [], 0
        async for chunk in self.request.stream():
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"body over {limit} bytes", details={"limit": limit})
            chunks.append(chunk)
        return b"".join(chunks)

    @property
    def path(self) -> dict[str, Any]:
        return self.request.path_params

    @property
    def client_id(self) -> str:
        assert self.principal is not None, "public routes have no tenant"
        return self.principal.client_id

    @property
    def store_id(self) -> str:
        assert self.principal is not None, "public routes have no tenant"
        return self.principal.store_id

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        """A transaction in the caller's tenant: ``conn`` when the host gave one (idempotent
        routes), else a new one, committed when the block ends."""
        if self.conn is not None:
            yield self.conn
            return
        async with self.runtime.db.transaction(self.client_id) as conn:
            yield conn
