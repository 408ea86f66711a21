"""Taking an agent's input a batch at a time, and stopping when a batch fails."""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from faust.streams import _current_event
from faust.types import EventT

log = logging.getLogger(__name__)

EXIT_SOFTWARE = 70  # EX_SOFTWARE: the supervisor restarts the worker


def handling(event: EventT | None) -> None:
    """Table reads go to the partition of `event`. faust takes it from the current event,
    which a stream sets one event at a time; inside a batch it is set by hand. With None,
    reads look in every partition held here. (Writes name their partition themselves:
    `table_writes.py`.)"""
    _current_event.set(None if event is None else weakref.ref(event))


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
