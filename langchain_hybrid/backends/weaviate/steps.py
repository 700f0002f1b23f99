"""Write each Weaviate operation once, and run it with a sync or an async client.

weaviate-client's sync and async clients have the same methods; the async ones return
awaitables. So every operation of the backend is one generator of *steps*: it yields the
return value of each client call (or embedding call) and receives the call's result back.

- `run_sync` drives the steps with a `WeaviateClient`: what a step yields already is the
  result (the call ran, and raised, inside the generator), so it is sent straight back.
- `run_async` drives the same steps with a `WeaviateAsyncClient`: it awaits what a step
  yields, sends the result back, or throws the exception in at that `yield`, where the
  operation's own `try` / `except` handles it exactly as in the sync case.

A step that yields `Concurrent([...])` asks for several calls at once: the sync driver
already has their results (they ran one after the other while the list was built), the
async driver gathers them. A step that yields `Parallel([...])` of zero-argument
callables gets them really made at the same time, sync too (in threads: a request that
waits for the server releases the GIL), and receives each one's result or exception.
Apart from the driver, the sync and the async methods share everything: the plan, the
error mapping and the decoding are written once.

Example:
    >>> def steps():
    ...     answer = yield 6 * 7  # a sync "call": its result is the value itself
    ...     return answer + 1
    >>> run_sync(steps())
    43
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeAlias, TypeVar

__all__ = ["Concurrent", "Parallel", "Steps", "run_async", "run_sync"]

T = TypeVar("T")

Steps: TypeAlias = Generator[Any, Any, T]
"""An operation: yields each call's return value, receives its result, returns `T`."""


class Concurrent(list[Any]):
    """Calls to run at once: results (sync client) or awaitables (async client), in order."""


class Parallel(list[Callable[[], Any]]):
    """Calls to make at the same time; the steps get each one's result or `Exception`.

    Each item is a zero-argument callable making one client call. The sync driver makes
    them in threads, the async driver gathers the awaitables they return. An exception
    comes back as a value, in the call's place, so that the steps can tell which call
    failed and what the others did.
    """


def _settle(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - handed to the steps, which decide
        return exc


def _in_threads(calls: Parallel) -> list[Any]:
    if len(calls) == 1:
        return [_settle(calls[0])]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(_settle, calls))


async def _asettle(call: Callable[[], Any]) -> Any:
    try:
        return await call()
    except Exception as exc:  # noqa: BLE001 - handed to the steps, which decide
        return exc


def run_sync(steps: Steps[T]) -> T:
    """Run `steps` whose calls are made with a sync client (their values are the results).

    Example:
        >>> def steps():
        ...     pair = yield Concurrent([1, 2])
        ...     return list(pair)
        >>> run_sync(steps())
        [1, 2]
    """
    try:
        result = next(steps)
        while True:
            if isinstance(result, Parallel):
                result = _in_threads(result)
            elif isinstance(result, Concurrent):
                result = list(result)
            result = steps.send(result)
    except StopIteration as done:
        value: T = done.value
        return value


async def run_async(steps: Steps[T]) -> T:
    """Run `steps` whose calls are made with an async client: await each one.

    An exception of a call is thrown into the steps at its `yield`, so the operation's
    `except` clauses see it as the sync driver's would. `BaseException`s (cancellation
    included) are thrown in too, so that the steps' `finally` clauses run now.

    Example:
        >>> import asyncio
        >>> async def call() -> int:
        ...     return 41
        >>> def steps():
        ...     answer = yield call()
        ...     return answer + 1
        >>> asyncio.run(run_async(steps()))
        42
    """
    try:
        pending = next(steps)
        while True:
            try:
                if isinstance(pending, Parallel):
                    result: Any = list(await asyncio.gather(*map(_asettle, pending)))
                elif isinstance(pending, Concurrent):
                    result = list(await asyncio.gather(*pending))
                else:
                    result = await pending
            except BaseException as exc:  # noqa: BLE001, PERF203 - the steps decide what they handle
                pending = steps.throw(exc)
            else:
                pending = steps.send(result)
    except StopIteration as done:
        value: T = done.value
        return value
