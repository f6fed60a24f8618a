"""An HTTP client for a marketplace's API behind OAuth2 client credentials.

A token per set of credentials, asked for once and kept until shortly before it expires; a 401
asks for a new one and tries once more (a token revoked early). 429 and 5xx answers, timeouts
and refused connections are :class:`~posmodern.core.marketplaces.MarketplaceUnavailable`: the
caller tries again at its next poll.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from posmodern.core.errors import BadGateway
from posmodern.core.marketplaces import MarketplaceUnavailable

#: A token is renewed this many seconds before the marketplace says it expires.
EARLY_SECONDS = 60


@dataclass(frozen=True)
class Credentials:
    """Where to ask for a token and with what."""

    token_url: str
    client_id: str
    client_secret: str


#: Builds the token request's form from the credentials (each marketplace names the fields).
TokenForm = Callable[[Credentials], dict[str, str]]
#: Reads (access token, seconds it lives) from the token answer.
TokenReader = Callable[[dict[str, Any]], tuple[str, float]]


class MarketplaceHttp:
    """One marketplace's HTTP client, shared by every merchant of the process."""

    def __init__(self, name: str, form: TokenForm, reader: TokenReader, *,
                 timeout: float = 10.0) -> None:
        self.name = name
        self.form = form
        self.reader = reader
        self.client = httpx.AsyncClient(timeout=timeout)
        self._tokens: dict[Credentials, tuple[str, float]] = {}

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _token(self, credentials: Credentials, *, renew: bool = False) -> str:
        kept = self._tokens.get(credentials)
        if kept and not renew and kept[1] > time.monotonic():
            return kept[0]
        answer = await self._send("POST", credentials.token_url, data=self.form(credentials))
        if answer.status_code != 200:
            raise MarketplaceUnavailable(
                f"{self.name}: the token was refused ({answer.status_code})",
                details={"status": answer.status_code})
        token, lifetime = self.reader(answer.json())
        self._tokens[credentials] = (token, time.monotonic() + max(lifetime - EARLY_SECONDS, 1))
        return token

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            answer = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise MarketplaceUnavailable(f"{self.name}: {type(exc).__name__} on {method} {url}",
                                         details={"url": url}) from exc
        if answer.status_code == 429 or answer.status_code >= 500:
            raise MarketplaceUnavailable(
                f"{self.name}: {method} {url} answered {answer.status_code}",
                details={"status": answer.status_code, "url": url})
        return answer

    async def request(self, credentials: Credentials, method: str, url: str,
                      **kwargs: Any) -> httpx.Response:
        """``method url`` with the credentials' token; one new token on a 401."""
        headers = dict(kwargs.pop("headers", None) or {})
        for renew in (False, True):
            headers["Authorization"] = f"Bearer {await self._token(credentials, renew=renew)}"
            answer = await self._send(method, url, headers=headers, **kwargs)
            if answer.status_code != 401:
                return answer
        raise MarketplaceUnavailable(f"{self.name}: {method} {url} refused a fresh token (401)",
                                     details={"status": 401, "url": url})


def expect(name: str, answer: httpx.Response, *statuses: int) -> httpx.Response:
    """``answer`` when its status is one of ``statuses``; else a 502 naming what was asked."""
    if answer.status_code not in statuses:
        raise BadGateway(f"{name} answered {answer.status_code} to {answer.request.method} "
                         f"{answer.request.url.path}", code="marketplace_refused",
                         details={"status": answer.status_code, "body": answer.text[:300]})
    return answer
