"""Screening with history outside Kafka: the same steps as the stream, one at a time.

scatter -> observe each entity (features before, then apply) -> assess -> record alerts
(on the entities' rows, and on the ledger of alerted declarations that analysts' verdicts
are recorded through, as the worker's `alerted` table; it forgets nothing).
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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from cachetools import LRUCache

from screener.core.alerted import UnknownAlert, judged, newly_decided, noted
from screener.core.assess import alerts, assess
from screener.core.history import HistorySnapshot, scatter
from screener.core.history.state import observe, record_alert, record_disposition
from screener.core.policy import Policy, PolicyBook
from screener.models import Assessment, Declaration, alert_id_for

Store = MutableMapping[str, bytes]
ALERTED = "alerted"  # the column family of the ledger in a state directory


class HistoryScreener:
    """Each declaration is scored by the policy version in force at its `declared_at`."""

    def __init__(
        self,
        policy: Policy | PolicyBook,
        store: Store,
        remember: int = 10_000,
        alerted: Store | None = None,
    ):
        self.book = policy if isinstance(policy, PolicyBook) else PolicyBook(policy)
        self.store = store
        self.alerted = {} if alerted is None else alerted  # declaration id -> ledger row
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
            declaration_id, keys = declaration.declaration_id, [e.key for e in events]
            self._update(keys, lambda stored: record_alert(stored, declaration_id, at))
            self._note(declaration, assessment, keys)
        self.answered[key] = assessment
        return assessment

    def _note(self, declaration: Declaration, assessment: Assessment, entities: list[str]) -> None:
        """The alert on the ledger, as the worker notes the alerts it publishes."""
        declaration_id = declaration.declaration_id
        before = self._ledger_row(declaration_id)
        after = noted(
            before,
            {
                "alert_id": alert_id_for(declaration_id, assessment.policy_version),
                "declared_at": int(declaration.declared_at.timestamp()),
                "assessed_at": int(assessment.assessed_at.timestamp()),
                "entities": sorted(set(entities)),
                "indicators": [hit.code for hit in assessment.indicators],
            },
        )
        self.alerted[declaration_id] = orjson.dumps(after)
        if entities := newly_decided(before, after):
            self._record(entities, declaration_id, after)

    def dispose(self, declaration_id: str, verdict: str, alert_id: str | None = None) -> bool:
        """An analyst's verdict on an alert of a declaration (`alert_id`; None: whichever
        this history raised), recorded on the rows of the entities it was judged against, as
        the worker records a disposition. False for a declaration that did not alert here
        (the worker dead-letters its disposition `unknown-alert`)."""
        try:
            after = judged(self._ledger_row(declaration_id), alert_id, verdict)
        except UnknownAlert:
            return False
        if after is not None:  # else a copy, or the same verdict again
            self.alerted[declaration_id] = orjson.dumps(after)
            self._record(after["entities"], declaration_id, after)
        return True

    def _ledger_row(self, declaration_id: str) -> dict | None:
        stored = self.alerted.get(declaration_id)
        return orjson.loads(stored) if stored else None

    def _record(self, entities: Iterable[str], declaration_id: str, row: dict) -> None:
        verdict, at = row["verdict"], row["declared_at"]
        self._update(
            entities, lambda stored: record_disposition(stored, declaration_id, verdict, at)
        )

    def _update(self, keys: Iterable[str], change: Callable[[bytes | None], bytes | None]) -> None:
        for key in keys:
            if (row := change(self.store.get(key))) is not None:
                self.store[key] = row


class Verdicts:
    """Analysts' verdicts in a batch run, each recorded in history when its time comes:
    before the first declaration declared after it, as a disposition reaches the worker's
    history before the declarations that come after it. A verdict counts for the alert its
    declaration raised here, whatever its alert id: a backtest's policy gives other ids than
    the one the analyst decided."""

    def __init__(self, screener: HistoryScreener) -> None:
        self.screener = screener
        self.queue: list[tuple[datetime, int, str, str]] = []  # a heap, by time
        self.order = itertools.count()  # among verdicts of the same time

    def add(self, at: datetime, declaration_id: str, verdict: str) -> None:
        heapq.heappush(self.queue, (at, next(self.order), declaration_id, verdict))

    def until(self, now: datetime) -> list[str]:
        """Record the verdicts due by `now`; returns the declaration ids of those left out,
        of a declaration that had not alerted by then."""
        left_out = []
        while self.queue and self.queue[0][0] <= now:
            _, _, declaration_id, verdict = heapq.heappop(self.queue)
            if not self.screener.dispose(declaration_id, verdict):
                left_out.append(declaration_id)
        return left_out


def answer_key(declaration: Declaration) -> tuple[str, bytes]:
    """A declaration's id and the digest of its content: a copy has both, an amendment only
    the id."""
    content = declaration.model_dump_json().encode()
    return declaration.declaration_id, hashlib.blake2b(content, digest_size=8).digest()


@dataclass(frozen=True)
class State:
    history: Store  # entity key -> row
    alerted: Store  # declaration id -> its row on the ledger of alerted declarations


@contextmanager
def open_state(state_dir: Path | None) -> Iterator[State]:
    """RocksDB at `state_dir` (kept between runs; the ledger in a column family of its own),
    or empty in memory."""
    if state_dir is None:
        yield State({}, {})
        return
    from rocksdict import Options, Rdict

    state_dir.mkdir(parents=True, exist_ok=True)
    path = str(state_dir)
    # a state kept before the ledger was, or a new one, has no column family for it
    existing = Rdict.list_cf(path) if (state_dir / "CURRENT").exists() else []
    db = Rdict(path)
    if ALERTED in existing:
        alerted = db.get_column_family(ALERTED)
    else:
        alerted = db.create_column_family(ALERTED, Options())
    try:
        yield State(db, alerted)
    finally:
        alerted.close()  # else it holds the database open
        db.close()
