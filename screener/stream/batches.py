"""Taking an agent's input a batch at a time, and stopping when a batch fails."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import NoReturn

import faust

from screener.observability import metrics
from screener.stream.envelopes import Incoming

log = logging.getLogger(__name__)

EXIT_SOFTWARE = 70  # EX_SOFTWARE: the supervisor restarts the worker


def stop_before_commit(what: str) -> NoReturn:
    """Stop the worker at once, the batch at hand uncommitted: it is read again after the
    restart."""
    log.critical("%s; stopping before the batch is committed", what, exc_info=True)
    logging.shutdown()
    os._exit(EXIT_SOFTWARE)


@contextmanager
def stopping_if_it_fails(agent: str) -> Iterator[None]:
    """A batch that raises stops the worker. Left to faust, the agent would be restarted
    past it: `take_events` acknowledges a batch's events when the agent's loop ends, however
    it ends, so they would be committed unhandled."""
    try:
        yield
    except Exception:
        stop_before_commit(f"a {agent} batch failed")


async def each_batch(
    taken: AsyncIterator[Sequence[faust.EventT]],
    agent: str,
    handle: Callable[[Sequence[faust.EventT]], Awaitable[None]],
) -> None:
    """An agent's loop: each batch counted (`screener_batch_records`) and handled, the worker
    stopped if handling it fails."""
    async for events in taken:
        metrics.labelled(metrics.BATCH_RECORDS, agent).observe(len(events))
        with stopping_if_it_fails(agent):
            await handle(events)


def _headers(raw: object) -> list[tuple[str, bytes]]:
    if not raw:
        return []
    items = raw.items() if isinstance(raw, Mapping) else raw
    return [(str(k), v if isinstance(v, bytes) else str(v).encode()) for k, v in items]


def incoming(event: faust.types.EventT) -> Incoming:
    """An event of a batch as the record it was read from."""
    m = event.message
    return Incoming(
        m.topic, m.partition, m.offset, m.key, m.value, _headers(m.headers), m.timestamp
    )
