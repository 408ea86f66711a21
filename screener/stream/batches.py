"""Taking an agent's input a batch at a time."""

from __future__ import annotations

import weakref

from faust.streams import _current_event
from faust.types import EventT


def handling(event: EventT | None) -> None:
    """Table reads go to the partition of `event`. faust takes it from the current event,
    which a stream sets one event at a time; inside a batch it is set by hand. With None,
    reads look in every partition held here. (Writes name their partition themselves:
    `table_writes.py`.)"""
    _current_event.set(None if event is None else weakref.ref(event))
