"""Scales: a Toledo Prix-style serial scale read on demand.

The protocol (9600 8N1): we send ENQ; the scale answers STX, five digits of weight in grams,
ETX. While the weight moves it answers ``IIIII`` (unstable); ``NNNNN`` is a negative weight and
``SSSSS`` an overload. Filizola's scales answer the same frame.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import serial
from posmodern.core.api import Reply, RequestContext
from posmodern.core.bodies import Strict
from posmodern.core.errors import Conflict, GatewayTimeout, NotFound, ServiceUnavailable
from posmodern.plugins.peripherals.drivers import BAUD_RATES
from posmodern.schema.tables import scales
from posmodern.schema.types import utcnow
from pydantic import Field, field_validator
from sqlalchemy import delete, insert, select

ENQ, STX, ETX = b"\x05", b"\x02", b"\x03"
PROTOCOLS = ("toledo",)
GRAMS_PER_KG = Decimal(1000)


class ScaleUnstable(Exception):
    """The weight is still moving."""


class OutOfRange(Exception):
    """The scale shows no weight to sell: below zero (``NNNNN``) or over its capacity
    (``SSSSS``)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ScaleConnection(Strict):
    device: str = Field(min_length=6, max_length=200)
    baudrate: int = 9600
    timeout: float = Field(default=1.0, gt=0, le=30)

    @field_validator("device")
    @classmethod
    def _device(cls, value: str) -> str:
        if not value.startswith("/dev/") or ".." in value.split("/"):
            raise ValueError("a scale's device is a path under /dev")
        return value

    @field_validator("baudrate")
    @classmethod
    def _baud(cls, value: int) -> int:
        if value not in BAUD_RATES:
            raise ValueError(f"baud rate must be one of {', '.join(map(str, BAUD_RATES))}")
        return value


class ScaleCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    protocol: str = Field(default="toledo", pattern="^(toledo)$")
    connection: ScaleConnection


def read_weight(connection: dict[str, Any]) -> int:
    """Grams on the scale; raises :class:`ScaleUnstable`, ``TimeoutError`` or ``OSError``."""
    spec = ScaleConnection(**connection)
    with serial.Serial(spec.device, spec.baudrate, bytesize=8, parity="N", stopbits=1,
                       timeout=spec.timeout) as port:
        port.reset_input_buffer()
        port.write(ENQ)
        deadline = time.monotonic() + spec.timeout
        frame = b""
        while time.monotonic() < deadline:
            frame += port.read(max(1, port.in_waiting))
            start = frame.find(STX)
            if start >= 0 and ETX in frame[start:]:
                body = frame[start + 1:frame.index(ETX, start)].decode("ascii", "replace")
                if body.isdigit():
                    return int(body)
                if set(body) == {"I"}:
                    raise ScaleUnstable()
                if set(body) == {"N"}:
                    raise OutOfRange("weight_negative", "the scale shows a negative weight: "
                                     "empty it and set it to zero")
                if set(body) == {"S"}:
                    raise OutOfRange("scale_overloaded", "the weight is over the scale's "
                                     "capacity")
                raise ValueError(f"the scale answered {body!r}")
        raise TimeoutError("the scale did not answer")


def scale_view(row) -> dict[str, Any]:
    return {"scale_id": row.scale_id, "name": row.name, "protocol": row.protocol,
            "connection": row.connection, "created_at": row.created_at}


async def _scale(conn, ctx: RequestContext):
    row = (await conn.execute(select(scales).where(
        scales.c.scale_id == ctx.path["scale_id"], scales.c.store_id == ctx.store_id))).first()
    if row is None:
        raise NotFound("scale not found", code="scale_not_found")
    return row


async def create_scale(ctx: RequestContext):
    body: ScaleCreate = ctx.body
    scale_id, now = uuid.uuid4(), utcnow()
    async with ctx.transaction() as conn:
        await conn.execute(insert(scales).values(
            scale_id=scale_id, client_id=ctx.client_id, store_id=ctx.store_id, name=body.name,
            protocol=body.protocol, connection=body.connection.model_dump(), created_at=now,
            updated_at=now))
        row = (await conn.execute(select(scales).where(scales.c.scale_id == scale_id))).first()
    return Reply(scale_view(row), 201)


async def list_scales(ctx: RequestContext):
    async with ctx.transaction() as conn:
        rows = (await conn.execute(select(scales).where(scales.c.store_id == ctx.store_id)
                                   .order_by(scales.c.name))).all()
    return {"scales": [scale_view(row) for row in rows]}


async def delete_scale(ctx: RequestContext):
    async with ctx.transaction() as conn:
        row = await _scale(conn, ctx)
        await conn.execute(delete(scales).where(scales.c.scale_id == row.scale_id))
    return {"scale_id": row.scale_id, "deleted": True}


async def weight(ctx: RequestContext):
    """The stable weight in kg (3 places); 409 while it moves, below zero or over capacity, 504
    without an answer, 503 when the device cannot be opened."""
    async with ctx.transaction() as conn:
        row = await _scale(conn, ctx)
    try:
        grams = await asyncio.to_thread(read_weight, row.connection)
    except ScaleUnstable:
        raise Conflict("the weight is not stable yet", code="weight_unstable") from None
    except OutOfRange as exc:
        raise Conflict(str(exc), code=exc.code) from None
    except TimeoutError:
        raise GatewayTimeout("the scale did not answer", code="scale_timeout") from None
    except (OSError, serial.SerialException, ValueError) as exc:
        raise ServiceUnavailable(f"the scale cannot be read: {exc}",
                                 code="scale_unavailable") from None
    kg = (Decimal(grams) / GRAMS_PER_KG).quantize(Decimal("0.001"))
    return {"scale_id": row.scale_id, "weight_kg": str(kg), "grams": grams, "stable": True}
