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
async driver gathers them. A step that yields a `Pipeline` of zero-argument callables
gets them made with several in flight at once, sync too (in threads: a request that
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
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Final, TypeAlias, TypeVar

__all__ = ["NOT_STARTED", "Concurrent", "Pipeline", "Steps", "run_async", "run_sync"]

T = TypeVar("T")

Steps: TypeAlias = Generator[Any, Any, T]
"""An operation: yields each call's return value, receives its result, returns `T`."""


class Concurrent(list[Any]):
    """Calls to run at once: results (sync client) or awaitables (async client), in order."""


class _NotStarted:
    def __repr__(self) -> str:
        return "NOT_STARTED"


NOT_STARTED: Final = _NotStarted()
"""The outcome of a `Pipeline` call that was not made, because an earlier one stopped it."""


@dataclass(frozen=True)
class Pipeline:
    """Calls made in order with at most `width` in flight; the steps get every outcome.

    The outcome of a call is its result, or the `Exception` it raised (as a value, so
    that the steps can tell which call failed and what the others did). Once `stop` is
    true of an outcome, no further call is started: those get `NOT_STARTED`. `done(i,
    outcome)` is called as each call finishes, in the caller's thread (e.g. progress).

    The sync driver makes the calls in `width` threads, the async driver awaits the
    awaitables they return, `width` at a time.
    """

    calls: Sequence[Callable[[], Any]]
    width: int
    stop: Callable[[Any], bool]
    done: Callable[[int, Any], None] | None = None


def _settle(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - handed to the steps, which decide
        return exc


async def _asettle(call: Callable[[], Any]) -> Any:
    try:
        return await call()
    except Exception as exc:  # noqa: BLE001 - handed to the steps, which decide
        return exc


def _in_threads(pipeline: Pipeline) -> list[Any]:
    calls = pipeline.calls
    outcomes: list[Any] = [NOT_STARTED] * len(calls)
    if len(calls) == 1 or pipeline.width == 1:
        for i, call in enumerate(calls):
            outcomes[i] = _settle(call)
            if pipeline.done is not None:
                pipeline.done(i, outcomes[i])
            if pipeline.stop(outcomes[i]):
                break
        return outcomes
    with ThreadPoolExecutor(max_workers=pipeline.width) as pool:
        running: dict[Future[Any], int] = {}
        started = 0
        stopped = False
        while True:
            while not stopped and started < len(calls) and len(running) < pipeline.width:
                running[pool.submit(_settle, calls[started])] = started
                started += 1
            if not running:
                return outcomes
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                i = running.pop(future)
                outcomes[i] = future.result()
                if pipeline.done is not None:
                    pipeline.done(i, outcomes[i])
                stopped = stopped or pipeline.stop(outcomes[i])


async def _awaited(pipeline: Pipeline) -> list[Any]:
    calls = pipeline.calls
    outcomes: list[Any] = [NOT_STARTED] * len(calls)
    running: dict[asyncio.Task[Any], int] = {}
    started = 0
    stopped = False
    try:
        while True:
            while not stopped and started < len(calls) and len(running) < pipeline.width:
                running[asyncio.ensure_future(_asettle(calls[started]))] = started
                started += 1
            if not running:
                return outcomes
            finished, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
            for task in finished:
                i = running.pop(task)
                outcomes[i] = task.result()
                if pipeline.done is not None:
                    pipeline.done(i, outcomes[i])
                stopped = stopped or pipeline.stop(outcomes[i])
    finally:
        for task in running:  # only when cancelled (or `done` raised): leave nothing behind
            task.cancel()


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
            if isinstance(result, Pipeline):
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
                if isinstance(pending, Pipeline):
                    result: Any = await _awaited(pending)
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
