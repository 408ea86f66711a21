"""Screening with history outside Kafka: the same steps as the stream, one at a time.

scatter -> observe each entity (features before, then apply) -> assess -> record alerts.
With one input partition and one worker the stream performs exactly this sequence, so
`screener score` gives the same scores as the live service for the same input. A copy of a
declaration seen among the last `remember` gets its first assessment again, as the worker's
gather step answers a redelivery; an amendment (the same declaration_id, other content) is
screened anew, and history, which knows the shipment by its id, does not count it twice.
"""

from __future__ import annotations

import hashlib
import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator, MutableMapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from cachetools import LRUCache

from screener.core.assess import alerts, assess
from screener.core.history import EntityEvent, HistorySnapshot, scatter
from screener.core.history.state import observe, record_alert, record_disposition
from screener.core.policy import Policy, PolicyBook
from screener.models import Assessment, Declaration

Store = MutableMapping[str, bytes]


class HistoryScreener:
    """Each declaration is scored by the policy version in force at its `declared_at`."""

    def __init__(self, policy: Policy | PolicyBook, store: Store, remember: int = 10_000):
        self.book = policy if isinstance(policy, PolicyBook) else PolicyBook(policy)
        self.store = store
        self.answered: LRUCache[tuple[str, bytes], Assessment] = LRUCache(remember)

    def screen(
        self,
        declaration: Declaration,
        *,
        assessed_at: datetime | None = None,
        trace_id: str | None = None,
    ) -> Assessment:
        key = answer_key(declaration)
        if (answer := self.answered.get(key)) is not None:
            return answer
        policy = self.book.for_time(declaration.declared_at)
        events = scatter(declaration, policy)
        features = []
        for event in events:
            row, f = observe(self.store.get(event.key), event)
            self.store[event.key] = row
            features.append(f)
        assessment = assess(
            declaration,
            policy,
            HistorySnapshot.of(features),
            assessed_at=assessed_at,
            trace_id=trace_id,
        )
        if alerts(assessment, policy):
            at = int(declaration.declared_at.timestamp())
            self._update(
                events, lambda stored: record_alert(stored, declaration.declaration_id, at)
            )
        self.answered[key] = assessment
        return assessment

    def dispose(self, declaration: Declaration, verdict: str) -> None:
        """An analyst's verdict on the alert of `declaration`, recorded on the rows of the
        entities it was judged against, as the worker records a disposition."""
        events = scatter(declaration, self.book.for_time(declaration.declared_at))
        at = int(declaration.declared_at.timestamp())
        declaration_id = declaration.declaration_id
        self._update(events, lambda stored: record_disposition(stored, declaration_id, verdict, at))

    def _update(
        self, events: Iterable[EntityEvent], change: Callable[[bytes | None], bytes | None]
    ) -> None:
        for event in events:
            if (row := change(self.store.get(event.key))) is not None:
                self.store[event.key] = row


class Verdicts:
    """Analysts' verdicts in a batch run, each recorded in history when its time comes:
    before the first declaration declared after it, on every version of the declaration it
    names screened by then (`seen`), as a disposition reaches the worker's history before
    the declarations that come after it."""

    def __init__(self, screener: HistoryScreener) -> None:
        self.screener = screener
        self.queue: list[tuple[datetime, int, str, str]] = []  # a heap, by time
        self.order = itertools.count()  # among verdicts of the same time
        self.versions: dict[str, list[Declaration]] = {}  # of the declarations named

    def add(self, at: datetime, declaration_id: str, verdict: str) -> None:
        heapq.heappush(self.queue, (at, next(self.order), declaration_id, verdict))
        self.versions.setdefault(declaration_id, [])

    def seen(self, declaration: Declaration) -> None:
        """A declaration screened: kept if a verdict names it."""
        if (versions := self.versions.get(declaration.declaration_id)) is not None:
            versions.append(declaration)

    def until(self, now: datetime) -> list[str]:
        """Record the verdicts due by `now`; returns the declaration ids of those left out,
        of a declaration not screened by then."""
        left_out = []
        while self.queue and self.queue[0][0] <= now:
            _, _, declaration_id, verdict = heapq.heappop(self.queue)
            versions = self.versions.get(declaration_id)
            if not versions:
                left_out.append(declaration_id)
            for version in versions or ():
                self.screener.dispose(version, verdict)
        return left_out


def answer_key(declaration: Declaration) -> tuple[str, bytes]:
    """A declaration's id and the digest of its content: a copy has both, an amendment only
    the id."""
    content = declaration.model_dump_json().encode()
    return declaration.declaration_id, hashlib.blake2b(content, digest_size=8).digest()


@contextmanager
def open_store(state_dir: Path | None) -> Iterator[Store]:
    """RocksDB at `state_dir` (kept between runs), or an empty in-memory store."""
    if state_dir is None:
        yield {}
        return
    from rocksdict import Rdict

    state_dir.mkdir(parents=True, exist_ok=True)
    db = Rdict(str(state_dir))
    try:
        yield db
    finally:
        db.close()
