"""The one async rule: a hook implementation may return a value or an awaitable.

pluggy calls implementations synchronously; an ``async def`` implementation therefore returns a
coroutine. Every call site goes through :func:`call_hook`, which awaits what needs awaiting
(datasette's ``await_me_maybe``). ``firstresult`` hooks are never declared, so a coroutine can
never stop a hook call early.
"""

from __future__ import annotations

import inspect
from typing import Any

from pluggy import HookCaller


async def await_me_maybe(value: Any) -> Any:
    """Return ``value``, awaiting it first when it is awaitable."""
    if inspect.isawaitable(value):
        value = await value
    return value


async def call_hook(hook: HookCaller, **kwargs: Any) -> list[Any]:
    """Call every implementation of ``hook`` and return their results, awaited, in pluggy's order.

    When one raises, the coroutines of the implementations after it are closed unawaited (they
    never run) and the error propagates.
    """
    results = hook(**kwargs)
    awaited = []
    for index, result in enumerate(results):
        try:
            awaited.append(await await_me_maybe(result))
        except BaseException:
            for pending in results[index + 1:]:
                if inspect.iscoroutine(pending):
                    pending.close()
            raise
    return awaited


async def collect(hook: HookCaller, **kwargs: Any) -> list[Any]:
    """Call a registration hook and flatten the lists its implementations return."""
    items: list[Any] = []
    for result in await call_hook(hook, **kwargs):
        if result:
            items.extend(result)
    return items


def collect_sync(hook: HookCaller, **kwargs: Any) -> list[Any]:
    """Flatten a registration hook called outside an event loop (CLI, app factory).

    Registration hooks must answer synchronously; an awaitable here is a plugin bug.
    """
    items: list[Any] = []
    for result in hook(**kwargs):
        if inspect.isawaitable(result):
            if inspect.iscoroutine(result):
                result.close()
            raise TypeError(f"{hook.name} implementations must not be async")
        if result:
            items.extend(result)
    return items
