"""The published output examples: what the worker emits for the example declaration.

Generated, not written by hand, so that a dashboard built on the examples sees the indicators,
points and fields of the current policy: `screener contracts export` writes them with the
schemas, and a test fails when the committed files drift.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import orjson

from screener.batch import HistoryScreener
from screener.core.policy import PolicyBook, load_policy
from screener.models import Declaration
from screener.stream.envelopes import Incoming, Output, accept, trace_id_of, verdict

DECLARATION = "shipment-declaration.magnets-via-th.json"
# Fixed, so the examples change only when what the worker emits does.
ASSESSED_AT = datetime(2026, 11, 28, 9, 30, 2, 517000, tzinfo=UTC)
TRACEPARENT = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
FILES = {
    Output.ASSESSMENTS: "screening-assessment.example.json",
    Output.ALERTS: "screening-alert.example.json",
}


def example_files(examples: Path, book: PolicyBook | None = None) -> dict[str, str]:
    """File name -> JSON text of the assessment and alert for the example declaration, as
    the first declaration its parties, lane and goods are seen in (an empty history)."""
    book = book or PolicyBook(load_policy())
    raw = (examples / DECLARATION).read_bytes()
    record = Incoming("shipments.declarations.v1", 0, 0, None, raw, [("traceparent", TRACEPARENT)])
    declaration = accept(record, ASSESSED_AT)
    if not isinstance(declaration, Declaration):
        raise ValueError(f"{DECLARATION} is not a valid declaration: {declaration.rejection}")
    assessment = HistoryScreener(book, {}).screen(
        declaration, assessed_at=ASSESSED_AT, trace_id=trace_id_of(record.headers)
    )
    screened = verdict(assessment, book.for_time(declaration.declared_at), declaration)
    return {
        FILES[out.output]: json.dumps(orjson.loads(out.value), indent=2, ensure_ascii=False) + "\n"
        for out in screened.outgoing
        if out.output in FILES
    }
