"""Starting the worker: load the policy, make sure the topics exist, run faust."""

from __future__ import annotations

import asyncio
import gc
import logging

import faust
from aiokafka.errors import KafkaError

from screener.core.policy import PolicyBook, load_policy
from screener.observability.metrics import watch_gc_pauses
from screener.settings import Settings
from screener.stream.app import create_app
from screener.stream.connection import kafka_of
from screener.stream.topics import ensure_pipeline_topics, ensure_worker_topics, record_limits

log = logging.getLogger(__name__)

# What a dead letter adds to the declaration's bytes: dlq-* headers, a reason of up to 1,000
# characters, room for the original headers.
DEAD_LETTER_ROOM = 64 * 1024
KAFKA_DEFAULT_LIMIT = 1_048_588  # max.message.bytes unless a broker or topic sets another


def tune_gc() -> None:
    """Full collections walk every live object (screening lists, faust's
    buffers) with the event loop stopped: 35 pauses of 150-300 ms in a one-minute benchmark,
    5 s in all, which set the p99 latency and cost a fifth of the CPU. What exists at start-up
    (policy, lists, name indexes) is frozen out of collection, and full collections come ten
    times less often. The young generation's threshold is ten times the default too: at
    about 600 decl/s one worker ran 3,250 young collections in 30 s (1.2 s with the older
    generations' they led to); at 7,000, 10 (0.2 s, 17-20 ms each), and it drained a
    backlog a tenth faster (docs/benchmarks.md, sixteenth round)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young * 10, middle, 100)
    watch_gc_pauses()


async def check_dead_letter_room(settings: Settings) -> int:
    """The dead-letter topic's record limit; a warning when a dead letter of the largest
    declaration would not fit in it (such dead letters go out without their value)."""
    kafka = kafka_of(settings)
    try:
        limits = await record_limits(
            kafka, [settings.dead_letter_topic, settings.declarations_topic]
        )
    except KafkaError as exc:
        log.warning("topic settings unreadable (%s): dead letters kept under 1 MiB", exc)
        return KAFKA_DEFAULT_LIMIT
    limit, largest_input = limits[settings.dead_letter_topic], limits[settings.declarations_topic]
    if limit < largest_input + DEAD_LETTER_ROOM:
        log.warning(
            "%s takes records up to %d bytes, %s up to %d: a dead letter of a declaration "
            "near that size will go out without its value (set the dead-letter topic's "
            "max.message.bytes to %d or more)",
            settings.dead_letter_topic,
            limit,
            settings.declarations_topic,
            largest_input,
            largest_input + DEAD_LETTER_ROOM,
        )
    return limit


def json_logging(level: str) -> dict:
    """A logging configuration that writes one JSON object per record to stdout (faust's
    own is coloured text)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(levelname)s %(name)s %(process)d %(message)s",
                "rename_fields": {"levelname": "level", "name": "logger"},
                "timestamp": "time",  # ISO 8601, UTC
            }
        },
        "handlers": {
            "stdout": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "formatter": "json",
            }
        },
        "root": {"level": level.upper(), "handlers": ["stdout"]},
    }


def run_worker(settings: Settings) -> None:
    book = PolicyBook(load_policy(settings.policy_file))  # fail fast, before touching Kafka
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    # Created before faust subscribes: a topic it cannot see yet at its first assignment is
    # left unassigned.
    loop.run_until_complete(ensure_pipeline_topics(settings))
    loop.run_until_complete(ensure_worker_topics(settings))
    dead_letter_limit = loop.run_until_complete(check_dead_letter_room(settings))
    app = create_app(settings, book, dead_letter_limit)
    tune_gc()
    as_json = settings.log_format == "json"
    faust.Worker(
        app,
        loglevel=settings.log_level,
        logging_config=json_logging(settings.log_level) if as_json else None,
        quiet=as_json,  # no banner among the JSON lines
        loop=loop,
    ).execute_from_commandline()
