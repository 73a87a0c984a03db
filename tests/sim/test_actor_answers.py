"""An actor's delayed answer that meets a closed node (the exercise being stopped) is
left unsent quietly; any other failure still surfaces."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosedOK
from websockets.frames import Close

from warnline.sim.actors import end_tasks, spawn_answer


async def _closed_stream() -> None:
    raise ConnectionClosedOK(Close(1000, ""), Close(1000, ""), False)


async def _closed_port() -> None:
    raise httpx.ConnectError("connection refused")


async def _bug() -> None:
    raise KeyError("version")


@pytest.mark.parametrize("work", [_closed_stream, _closed_port])
def test_an_answer_into_a_closed_node_ends_quietly(
    work: Callable[[], Coroutine[Any, Any, None]],
) -> None:
    async def main() -> list[BaseException | None]:
        tasks: set[asyncio.Task[None]] = set()
        spawn_answer(tasks, work())
        kept = list(tasks)
        await asyncio.gather(*kept)
        await end_tasks(tasks)
        return [t.exception() for t in kept]

    assert asyncio.run(main()) == [None]


def test_any_other_failure_of_an_answer_is_not_swallowed() -> None:
    async def main() -> BaseException | None:
        tasks: set[asyncio.Task[None]] = set()
        spawn_answer(tasks, _bug())
        (task,) = tasks
        await asyncio.gather(task, return_exceptions=True)
        return task.exception()

    assert isinstance(asyncio.run(main()), KeyError)
