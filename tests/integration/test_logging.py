"""SCREENER_LOG_FORMAT=json: everything a worker writes, from its start to its stop, is one
JSON object per line, with its time, level, logger and message."""

from __future__ import annotations

import json
from datetime import datetime

from screener.sim.declarations import SampleMessage, generate
from tests.integration.kafka_io import accounted, collect, send_all


async def test_a_worker_logs_json_lines(pipeline):
    pipeline.extra_env["SCREENER_LOG_FORMAT"] = "json"
    port = pipeline.start_worker()
    samples = [*generate(5, seed=3, malformed_share=0.0), SampleMessage(None, b"{", "bad", None)]
    await send_all(pipeline.bootstrap, pipeline.declarations, samples)
    await collect(pipeline, accounted(pipeline, len(samples)))
    pipeline.stop_all()
    lines = (pipeline.workdir / f"worker-{port}.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    assert len(records) > 20
    for record in records:
        assert {"time", "level", "logger", "message"} <= record.keys(), record
        assert datetime.fromisoformat(record["time"]).utcoffset() is not None
    loggers = {r["logger"] for r in records}
    assert "faust.worker" in loggers and any(n.startswith("screener") for n in loggers)
