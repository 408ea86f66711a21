"""The `screener` command line."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import orjson
import typer
from pydantic import ValidationError
from rich.console import Console

from screener import local_kafka
from screener.console import VERDICT_COLUMNS, impact_table
from screener.core.policy import PolicyError, load_policy, parse_policy
from screener.settings import Settings, get_settings


def _commands(help: str) -> typer.Typer:
    # Help as Markdown: a docstring's line breaks are not kept in the list of commands
    # (typer keeps them in its default, Rich markup, where "[--state DIR]" reads as a tag).
    return typer.Typer(help=help, no_args_is_help=True, rich_markup_mode="markdown")


app = _commands("Streaming shipment screening for export-control diversion.")
kafka_app = _commands("A local Apache Kafka for development, the demo and tests.")
contracts_app = _commands("The published message contracts.")
policy_app = _commands("Screening policy documents.")
app.add_typer(kafka_app, name="kafka")
app.add_typer(contracts_app, name="contracts")
app.add_typer(policy_app, name="policy")
names_app = _commands("Name matching against screening lists.")
app.add_typer(names_app, name="names")

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)


def _fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[red]error:[/] {message}")
    return typer.Exit(code)


def _settings() -> Settings:
    """The SCREENER_* settings, or the reasons they are refused, and exit."""
    try:
        return get_settings()
    except ValidationError as exc:
        reasons = "; ".join(
            (f"SCREENER_{'_'.join(map(str, e['loc'])).upper()}: " if e["loc"] else "") + e["msg"]
            for e in exc.errors()
        )
        raise _fail(f"settings refused: {reasons}", code=2) from exc


@app.command()
def worker() -> None:
    """Run the screening worker (faust) against SCREENER_KAFKA_BOOTSTRAP."""
    from aiokafka.errors import KafkaError

    from screener.stream.worker import run_worker

    try:
        run_worker(_settings())
    except (PolicyError, KafkaError) as exc:  # before faust starts: no policy, no cluster
        raise _fail(str(exc)) from exc


@app.command()
def demo(
    count: Annotated[int, typer.Option(help="Sample declarations to stream")] = 300,
    rate: Annotated[float, typer.Option(help="Declarations per second")] = 50.0,
    seed: Annotated[int, typer.Option(help="Seed of the sample generator")] = 7,
    keep_running: Annotated[
        bool | None,
        typer.Option(help="Keep the worker up after the stream (default: on a terminal)"),
    ] = None,
) -> None:
    """Start Kafka and the worker, stream sample declarations, show alerts, stop everything."""
    from screener.demo import run_demo

    keep = sys.stdin.isatty() if keep_running is None else keep_running
    try:
        code = run_demo(_settings(), count, rate, seed, keep)
    except (local_kafka.LocalKafkaError, RuntimeError, PolicyError) as exc:
        raise _fail(str(exc)) from exc
    raise typer.Exit(code)


def _scheme_weights(text: str | None) -> dict[str, float] | None:
    """ "hub_transshipment=2,structuring=1" -> weights; unnamed schemes get none."""
    if not text:
        return None
    weights = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        try:
            weights[name.strip()] = float(weight) if weight else 1.0
        except ValueError as exc:
            raise _fail(f"bad scheme weight {part!r}: expected name=number") from exc
    return weights


def _traffic_spec(
    count: int | None,
    days: float | None,
    per_day: float,
    seed: int,
    start: datetime | None,
    exporters: int,
    consignees: int,
    forwarders: int,
    planted_share: float,
    schemes: str | None,
    malformed_share: float,
    warmup_days: float,
):
    from screener.sim.traffic import DEFAULT_START, TrafficSpec
    from screener.sim.world import WorldSize

    if count is None:
        count = round((days if days is not None else 14) * per_day)
    try:
        return TrafficSpec(
            count=count,
            per_day=per_day,
            seed=seed,
            start=(start.replace(tzinfo=UTC) if start and start.tzinfo is None else start)
            or DEFAULT_START,
            world=WorldSize(exporters, consignees, forwarders),
            planted_share=planted_share,
            scheme_weights=_scheme_weights(schemes),
            malformed_share=malformed_share,
            warmup_days=warmup_days,
        )
    except ValueError as exc:
        raise _fail(str(exc)) from exc


# Options shared by `simulate` and `evaluate --generate`: the world and its traffic.
Days = Annotated[
    float | None, typer.Option(help="Days of event time (count = days x per-day) if no count")
]
PerDay = Annotated[float, typer.Option(help="Average declarations per day of event time")]
Seed = Annotated[int, typer.Option(help="Seed of the world and its traffic")]
Start = Annotated[datetime | None, typer.Option(help="Event time of the stream's start (UTC)")]
Exporters = Annotated[int, typer.Option(help="Exporters in the world")]
Consignees = Annotated[int, typer.Option(help="Consignees in the world")]
Forwarders = Annotated[int, typer.Option(help="Freight forwarders in the world")]
PlantedShare = Annotated[
    float, typer.Option(help="Share of planted diversion after the warm-up (0-1)")
]
Schemes = Annotated[
    str | None,
    typer.Option(help="Scheme weights, e.g. 'hub_transshipment=2,structuring=1' (default: all 1)"),
]
MalformedShare = Annotated[float, typer.Option(help="Share of malformed lines (0-1)")]
WarmupDays = Annotated[float, typer.Option(help="Days of ordinary trade only, at the start")]


@app.command()
def simulate(
    count: Annotated[
        int | None,
        typer.Option(
            help="Declarations to generate; one amended after filing is sent twice (first "
            "version, then amended)"
        ),
    ] = None,
    days: Days = None,
    per_day: PerDay = 1500.0,
    seed: Seed = 7,
    start: Start = None,
    exporters: Exporters = 2000,
    consignees: Consignees = 4000,
    forwarders: Forwarders = 300,
    planted_share: PlantedShare = 0.03,
    schemes: Schemes = None,
    malformed_share: MalformedShare = 0.0,
    warmup_days: WarmupDays = 7.0,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write JSON lines here instead of producing")
    ] = None,
    labels: Annotated[
        Path | None, typer.Option(help="Write the labels here (CSV, or JSON lines if .jsonl)")
    ] = None,
    rate: Annotated[float, typer.Option(help="Declarations per second when producing")] = 100.0,
) -> None:
    """Simulate a realistic declaration stream from a seeded world of traders, with planted
    diversion schemes; the labels (what each line is) go to their own file."""
    from screener.sim.traffic import simulate as run
    from screener.sim.traffic import write_labels, write_stream

    spec = _traffic_spec(
        count,
        days,
        per_day,
        seed,
        start,
        exporters,
        consignees,
        forwarders,
        planted_share,
        schemes,
        malformed_share,
        warmup_days,
    )
    try:
        records = run(spec)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    if labels is not None:
        write_labels(records, labels)
    again = sum(r.superseded for r in records)
    planted = sum(r.label != "ordinary" and ":" not in r.label for r in records if not r.superseded)
    summary = (
        f"{len(records)} lines: {len(records) - again} declarations ({planted} planted), "
        f"{again} of them amended after filing and sent twice"
    ) + (f", labels in {labels}" if labels else "")
    if out_file is not None:
        with out_file.open("wb") as handle:
            write_stream(records, handle)
        out.print(f"wrote {summary} to {out_file}")
        return
    from screener.stream.clients import Produced, produce
    from screener.stream.connection import kafka_of

    settings = _settings()
    messages = [Produced(r.key, r.value, [("content-type", b"application/json")]) for r in records]
    sent = asyncio.run(produce(kafka_of(settings), settings.declarations_topic, messages, rate))
    out.print(f"produced {sent} of {summary} to {settings.declarations_topic}")


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="JSON lines, one declaration per line")],
    rate: Annotated[
        float, typer.Option(help="Declarations per second; 0 for as fast as possible")
    ] = 100.0,
    topic: Annotated[
        str | None, typer.Option(help="Topic (default: SCREENER_DECLARATIONS_TOPIC)")
    ] = None,
) -> None:
    """Produce a JSON-lines file to Kafka, keyed by declaration id, at a steady rate."""
    import time

    from rich.progress import MofNCompleteColumn, Progress, TimeRemainingColumn

    from screener.stream.clients import Produced, produce
    from screener.stream.connection import kafka_of

    if rate < 0:
        raise _fail("--rate must be 0 (as fast as possible) or positive")
    if not file.is_file():
        raise _fail(f"{file}: no such file")
    settings = _settings()
    target = topic or settings.declarations_topic
    with file.open("rb") as handle:
        total = sum(1 for line in handle if line.strip())
    sent_bytes = 0

    def messages(progress: Progress, task) -> Iterator[Produced]:
        nonlocal sent_bytes
        with file.open("rb") as handle:
            for line in handle:
                value = line.rstrip(b"\r\n")
                if not value.strip():
                    continue
                sent_bytes += len(value)
                progress.advance(task)
                yield Produced(replay_key(value), value, [("content-type", b"application/json")])

    began = time.monotonic()
    with Progress(
        *Progress.get_default_columns()[:-1],
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
    ) as progress:
        task = progress.add_task(f"replay to {target}", total=total)
        sent = asyncio.run(
            produce(kafka_of(settings), target, messages(progress, task), rate or None)
        )
    seconds = time.monotonic() - began
    out.print(
        f"replayed {sent} declarations ({sent_bytes:,} bytes) to {target} in {seconds:.1f} s: "
        f"{sent / seconds if seconds else 0:,.0f} declarations/s"
        + (f" (asked {rate:g}/s)" if rate else " (as fast as possible)")
    )


def replay_key(value: bytes) -> bytes | None:
    """The declaration id as the key; a line that is no declaration goes without one."""
    try:
        declaration_id = orjson.loads(value).get("declaration_id")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return declaration_id.encode() if isinstance(declaration_id, str) else None


@app.command()
def evaluate(
    declarations: Annotated[
        Path | None,
        typer.Argument(
            metavar="DECLARATIONS", help="JSON lines (e.g. from `screener simulate --out`)"
        ),
    ] = None,
    labels_file: Annotated[
        Path | None, typer.Argument(metavar="LABELS", help="Their labels (--labels of simulate)")
    ] = None,
    generate: Annotated[
        int | None, typer.Option(help="Simulate this many declarations in memory instead")
    ] = None,
    days: Days = None,
    per_day: PerDay = 1000.0,
    seed: Seed = 7,
    start: Start = None,
    exporters: Exporters = 2000,
    consignees: Consignees = 4000,
    forwarders: Forwarders = 300,
    planted_share: PlantedShare = 0.03,
    schemes: Schemes = None,
    warmup_days: WarmupDays = 30.0,
    plot: Annotated[Path | None, typer.Option(help="Write the score plot here (PNG)")] = None,
    errors_file: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help="Write each planted declaration missed and each ordinary one alerted here "
            "(JSON lines: score, indicators, evidence)",
        ),
    ] = None,
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="Policy (default: SCREENER_POLICY_FILE)")
    ] = None,
    review_days: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Analysts decide each alert this many days after its declaration, from the "
            "labels, and their verdicts go back into history as dispositions",
        ),
    ] = None,
    review_error: Annotated[
        float,
        typer.Option(min=0, max=1, help="Share of those verdicts decided wrongly"),
    ] = 0.0,
) -> None:
    """Screen a labelled stream in batch with history and report detection per scheme:
    recall, precision, alert rate and score distribution, as a table (and a plot, and the
    errors one by one)."""
    from screener.evaluation import errors, screen_labelled
    from screener.evaluation import report as make_report
    from screener.sim.traffic import read_labels

    try:
        policy = load_policy(policy_file or _settings().policy_file)
    except PolicyError as exc:
        raise _fail(str(exc)) from exc
    if generate is not None or (declarations is None and days is not None):
        if declarations is not None:
            raise _fail("give DECLARATIONS LABELS or --generate, not both")
        from screener.sim.traffic import simulate as run

        spec = _traffic_spec(
            generate,
            days,
            per_day,
            seed,
            start,
            exporters,
            consignees,
            forwarders,
            planted_share,
            schemes,
            0.0,
            warmup_days,
        )
        stream = ((r.value, r.label, r.warmup, r.superseded) for r in run(spec))
        source = f"{spec.count} simulated declarations (seed {seed}, warm-up {warmup_days:g} days)"
    else:
        if declarations is None or labels_file is None:
            raise _fail("give DECLARATIONS and LABELS files, or --generate N")
        by_line = {label.line: label for label in read_labels(labels_file)}
        stream = _labelled_lines(declarations, by_line)
        source = f"{declarations} with {labels_file}"
    with err.status("screening with history..."):
        scored, rejected = screen_labelled(stream, policy, review_days, review_error)
    if review_days is not None:
        source += f"; analysts' verdicts back into history {review_days:g} days after each alert"
        source += f", {review_error:.0%} of them wrong" if review_error else ""
    threshold = policy.document.scoring.alert_threshold
    result = make_report(scored, threshold, policy.version, rejected)
    _print_report(result, source)
    if plot is not None:
        from screener.evaluation_plot import plot_report

        plot_report(result, plot)
        out.print(f"plot written to {plot}")
    if errors_file is not None:
        wrong = [orjson.dumps(e) for e in errors(scored, threshold)]
        errors_file.write_bytes(b"".join(line + b"\n" for line in wrong))
        out.print(f"{len(wrong)} errors written to {errors_file}")


def _labelled_lines(path: Path, by_line: dict) -> Iterator[tuple[bytes, str, bool, bool]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            label = by_line.get(number)
            if label is None:
                raise _fail(f"{path}:{number}: no label for this line")
            yield line.strip(), label.label, label.warmup, label.superseded


def _print_report(result, source: str) -> None:
    from rich.table import Table

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.1%}"

    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.0f}"

    table = Table(
        title=f"detection, policy {result.policy_version}, alert threshold "
        f"{result.threshold:g}: {source}",
        title_justify="left",
    )
    for column in (
        "label",
        "count",
        "alerts",
        "recall",
        "precision",
        "alert rate",
        "p10",
        "p50",
        "p90",
        "indicators firing most (share)",
    ):
        table.add_column(column, justify="left" if column[0] in "li" else "right")
    for row in (*result.schemes, result.overall, result.ordinary):
        table.add_row(
            row.label,
            str(row.count),
            str(row.alerts),
            pct(row.recall),
            pct(row.precision),
            pct(row.alert_rate),
            num(row.p10),
            num(row.p50),
            num(row.p90),
            ", ".join(f"{code} {share:.0%}" for code, share in row.top_indicators),
            end_section=row is result.schemes[-1] if result.schemes else False,
        )
    # Wide enough for the table when written to a file or pipe (80 columns by default).
    wide = Console(highlight=False, width=max(out.width, 170))
    wide.print(table)
    wide.print(impact_table(result.indicators))
    if firsts := result.first_versions.count:
        out.print(
            f"{result.first_versions.label}: {firsts}, {result.first_versions.alerts} alerted "
            f"(scores p50 {num(result.first_versions.p50)}, p90 {num(result.first_versions.p90)})"
        )
    below = [r.label for r in result.schemes if r.recall is not None and r.recall < 0.9]
    out.print(
        f"ordinary alert rate {pct(result.ordinary.alert_rate)} (aim < 2 %); "
        + (f"below recall 0.9: {', '.join(below)}" if below else "every scheme at recall >= 0.9")
        + (f"; {result.rejected} malformed line(s) rejected" if result.rejected else "")
    )


@app.command()
def score(
    file: Annotated[str, typer.Argument(help="JSON lines of v1 declarations, or - for stdin")],
    state: Annotated[
        Path | None,
        typer.Option(help="History store directory (RocksDB); empty in memory if unset"),
    ] = None,
    dispositions: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Analysts' dispositions (JSON lines, screening-disposition v1): each is "
            "recorded in history at its decided_at, on what the declaration it names was "
            "about, if it alerted earlier in this run or in an earlier run on this --state "
            "(whatever the alert id: a backtest's policy gives other ids)",
        ),
    ] = None,
) -> None:
    """Screen declarations in input order with history: assessments as JSON lines on stdout,
    a readable error per malformed line on stderr."""
    from screener.batch import HistoryScreener, Verdicts, open_state
    from screener.core.intake import Rejection, parse_contract, parse_declaration
    from screener.models import Disposition

    policy = load_policy(_settings().policy_file)
    handle = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    with handle, open_state(state) as kept:
        screener = HistoryScreener(policy, kept.history, alerted=kept.alerted)
        verdicts = Verdicts(screener)
        for number, line in enumerate(_lines(dispositions) if dispositions else (), start=1):
            if not line:
                continue
            disposition = parse_contract(line, Disposition)
            if isinstance(disposition, Rejection):
                err.print(
                    f"{dispositions} line {number}: {disposition.code.value}: {disposition.reason}"
                )
                continue
            verdicts.add(
                disposition.decided_at, disposition.declaration_id, disposition.verdict.value
            )

        def decide_until(now: datetime) -> None:
            for declaration_id in verdicts.until(now):
                err.print(
                    f"disposition of {declaration_id} left out: the declaration had not "
                    "alerted in this history before it was decided"
                )

        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            parsed = parse_declaration(line.strip())
            if isinstance(parsed, Rejection):
                err.print(f"line {number}: {parsed.code.value}: {parsed.reason}")
                continue
            decide_until(parsed.declared_at)
            assessment = screener.screen(parsed)
            sys.stdout.buffer.write(orjson.dumps(assessment.model_dump(mode="json")) + b"\n")
        decide_until(datetime.max.replace(tzinfo=UTC))  # the rest, into a kept --state


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from (line.strip() for line in handle)


@app.command()
def match(
    names: Annotated[
        list[str] | None, typer.Argument(help="Names to screen; stdin if none")
    ] = None,
    list_file: Annotated[Path, typer.Option("--list", help="A screening-list file")] = ...,
    list_format: Annotated[
        str, typer.Option("--format", help="csl, csl-json, sdn (path to sdn.csv) or un")
    ] = "csl",
    country: Annotated[str | None, typer.Option(help="ISO country of the parties")] = None,
    threshold: Annotated[float | None, typer.Option(help="Match threshold")] = None,
    limit: Annotated[int, typer.Option(help="Best entries shown per name")] = 3,
) -> None:
    """Screen names against one list file, without any policy: JSON lines of the best entries,
    their scores and explanations, and the verdict at the threshold."""
    from screener.reference.matching import DEFAULT_THRESHOLD, NameMatcher
    from screener.reference.screening_lists import LOADERS, ListFormatError

    if list_format not in LOADERS:
        raise _fail(f"unknown list format {list_format!r}: choose {', '.join(LOADERS)}")
    try:
        matcher = NameMatcher.build(LOADERS[list_format](list_file, list_file.stem))
    except ListFormatError as exc:
        raise _fail(str(exc)) from exc
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    queries = names or [line.strip() for line in sys.stdin if line.strip()]
    for name in queries:
        best = matcher.match(name, country=country, limit=limit)
        verdict = "match" if best and best[0].score >= cut else "no match"
        record = {
            "query": name,
            "verdict": verdict,
            "threshold": cut,
            "matches": [
                {
                    "score": round(m.score, 3),
                    "entry_id": m.entry.entry_id,
                    "name": m.entry.name,
                    "matched_name": m.matched_name,
                    "source": m.entry.source,
                    "programs": list(m.entry.programs),
                    "countries": sorted(m.entry.countries),
                    "explanation": m.explain(),
                }
                for m in best
            ],
        }
        sys.stdout.buffer.write(orjson.dumps(record) + b"\n")


@names_app.command("evaluate")
def names_evaluate(
    threshold: Annotated[
        float | None, typer.Option(help="Threshold (default: the policy's PARTY_LISTED threshold)")
    ] = None,
) -> None:
    """Precision and recall of name matching on the labelled evaluation set."""
    from rich.table import Table

    from screener.reference.matching import evaluate

    if threshold is None:
        policy = load_policy(_settings().policy_file)
        threshold = policy.document.indicators["PARTY_LISTED"].params.get("threshold", 0.9)
    result = evaluate(threshold)
    table = Table(title=f"name matching at threshold {threshold:.2f}")
    for column in ("variant", "rows", "tp", "fn", "fp", "tn"):
        table.add_column(column, justify="left" if column == "variant" else "right")
    for variant, c in result["by_variant"].items():
        table.add_row(variant, *(str(c.get(k, 0)) for k in ("n", "tp", "fn", "fp", "tn")))
    out.print(table)
    out.print(
        f"precision {result['precision']:.3f}  recall {result['recall']:.3f}  "
        f"(tp {result['tp']}, fp {result['fp']}, fn {result['fn']}, tn {result['tn']})"
    )


@app.command()
def topics() -> None:
    """Create every topic a worker uses, if missing: the pipeline's (partitions from
    SCREENER_TOPIC_PARTITIONS) and the worker's own (hops, changelogs, policy versions)."""
    from aiokafka.errors import KafkaError

    from screener.stream.topics import ensure_pipeline_topics, ensure_worker_topics

    async def ensure(settings) -> list[str]:
        return [*await ensure_pipeline_topics(settings), *await ensure_worker_topics(settings)]

    try:
        created = asyncio.run(ensure(_settings()))
    except KafkaError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"created: {', '.join(created) or 'none (all exist)'}")


TAILED = ("alerts", "assessments", "dead-letters", "dispositions", "disposition-dead-letters")


@app.command()
def tail(
    which: Annotated[str, typer.Argument(help=", ".join(TAILED))] = "alerts",
) -> None:
    """Follow a topic from its beginning and print each record as JSON."""
    from screener.stream.clients import tail as tail_records
    from screener.stream.connection import kafka_of

    settings = _settings()
    topic = dict(
        zip(
            TAILED,
            (
                settings.alerts_topic,
                settings.assessments_topic,
                settings.dead_letter_topic,
                settings.dispositions_topic,
                settings.dispositions_dead_letter_topic,
            ),
            strict=True,
        )
    ).get(which)
    if topic is None:
        raise _fail(f"unknown topic {which!r}: choose {', '.join(TAILED)}")

    async def follow() -> None:
        async for record in tail_records(kafka_of(settings), [topic]):
            headers = {k: v.decode("utf-8", "replace") for k, v in record.headers.items()}
            body = record.value.decode("utf-8", "replace")
            out.print_json(
                orjson.dumps({"key": (record.key or b"").decode(), "headers": headers}).decode()
            )
            out.print(body)

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(follow())


@app.command()
def dispose(
    declaration_id: Annotated[str, typer.Argument(help="As the alert has it")],
    alert_id: Annotated[str, typer.Argument(help="alr_..., as the alert has it")],
    verdict: Annotated[str, typer.Option(help="true_hit or false_positive")],
    analyst: Annotated[str, typer.Option(help="Who decided")],
    note: Annotated[str | None, typer.Option(help="Why, for the audit trail")] = None,
) -> None:
    """Send an analyst's disposition of an alert to the dispositions topic, as a case tool
    would: the worker records it on the history of what the alert was about."""
    from screener.models import Disposition
    from screener.stream.clients import Produced, produce
    from screener.stream.connection import kafka_of
    from screener.stream.envelopes import encode

    settings = _settings()
    try:
        disposition = Disposition(
            schema_version=1,
            declaration_id=declaration_id,
            alert_id=alert_id,
            verdict=verdict,
            analyst=analyst,
            decided_at=datetime.now(UTC),
            note=note,
        )
    except ValidationError as exc:
        reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise _fail(f"not a disposition: {reasons}", code=2) from exc
    message = Produced(declaration_id.encode(), encode(disposition), [])
    asyncio.run(produce(kafka_of(settings), settings.dispositions_topic, [message]))
    out.print(f"sent {verdict} for {alert_id} to {settings.dispositions_topic}")


@app.command()
def verdicts(
    policy_file: Annotated[
        Path | None, typer.Option("--policy", help="Policy (default: SCREENER_POLICY_FILE)")
    ] = None,
) -> None:
    """What analysts' dispositions say of each indicator: the alerts topic joined with the
    dispositions topic, from their beginning, as `evaluate` counts a labelled stream. Each
    alert is judged at the threshold of the policy version that scored it (the policy file's
    or one on the reference topic), else at the policy file's."""
    from aiokafka.errors import KafkaError

    from screener.feedback import Feedback, Tally
    from screener.stream.clients import read_to_end
    from screener.stream.connection import kafka_of
    from screener.stream.reference import policy_in

    settings = _settings()
    try:
        policy = load_policy(policy_file or settings.policy_file)
    except PolicyError as exc:
        raise _fail(str(exc)) from exc
    threshold = policy.document.scoring.alert_threshold
    thresholds = {policy.version: threshold}

    async def read() -> Feedback:
        kafka = kafka_of(settings)
        async for record in read_to_end(kafka, [settings.reference_topic]):
            origin = f"{record.topic}:{record.partition}:{record.offset}"
            try:
                known = policy_in(record.key, record.value, settings.reference_dir, origin)
            except PolicyError as exc:
                err.print(f"left out: {exc}")
                continue
            if known is not None:
                thresholds.setdefault(known.version, known.document.scoring.alert_threshold)
        dispositions = read_to_end(kafka, [settings.dispositions_topic])
        tally = Tally([r.value async for r in dispositions])
        async for record in read_to_end(kafka, [settings.alerts_topic]):
            tally.alert(record.value)
        return tally.feedback(threshold, thresholds)

    try:
        result = asyncio.run(read())
    except KafkaError as exc:
        raise _fail(str(exc)) from exc
    precision = "-" if result.precision is None else f"{result.precision:.1%}"
    out.print(
        f"{result.alerts} alerts on {settings.alerts_topic}: {result.confirmed} confirmed, "
        f"{result.cleared} cleared, {result.undecided} undecided (precision {precision}); "
        f"{result.unmatched} dispositions of no alert there",
        soft_wrap=True,
    )
    for version, count in result.versions.items():
        if version in result.unknown_versions:
            judged = f"a version unknown here, judged at {policy.version}'s threshold {threshold:g}"
        else:
            judged = f"threshold {thresholds[version]:g}"
        out.print(f"  policy {version}: {count} decided, {judged}", soft_wrap=True)
    Console(highlight=False, width=max(out.width, 120)).print(
        impact_table(result.indicators, VERDICT_COLUMNS)
    )


@kafka_app.command("fetch")
def kafka_fetch() -> None:
    """Fetch the Apache Kafka jars from Maven Central into the cache (once)."""
    try:
        lib = local_kafka.ensure_jars()
    except local_kafka.LocalKafkaError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"kafka {local_kafka.kafka_version()} jars in {lib}")


@kafka_app.command("up")
def kafka_up() -> None:
    """Start a fresh single-node broker on 127.0.0.1 (SCREENER_LOCAL_KAFKA_PORT)."""
    settings = _settings()
    try:
        info = local_kafka.up(port=settings.local_kafka_port, state_dir=settings.local_kafka_dir)
    except local_kafka.LocalKafkaError as exc:
        raise _fail(str(exc)) from exc
    out.print(f"kafka up: {info.bootstrap} (pid {info.pid}, log {info.log_path})")


@kafka_app.command("down")
def kafka_down() -> None:
    """Stop the local broker."""
    stopped = local_kafka.down(_settings().local_kafka_dir)
    out.print("kafka stopped" if stopped else "kafka was not running")


@kafka_app.command("status")
def kafka_status() -> None:
    """Say whether the local broker is running; exit 1 if not."""
    info = local_kafka.status(_settings().local_kafka_dir)
    if info is None:
        out.print("kafka is not running")
        raise typer.Exit(1)
    out.print(f"kafka running: {info.bootstrap} (pid {info.pid}, log {info.log_path})")


@contracts_app.command("export")
def contracts_export(
    directory: Annotated[Path, typer.Argument()] = Path("contracts"),
    check: Annotated[
        bool, typer.Option(help="Only report files that differ; exit 1 if any")
    ] = False,
) -> None:
    """Write the JSON Schemas of the contracts, generated from the models, and the output
    examples, what the worker emits for the example declaration."""
    from screener.contract_examples import example_files
    from screener.schemas import schema_files, stale_files, write_files

    examples = example_files(directory / "examples")
    files = schema_files() | {f"examples/{name}": text for name, text in examples.items()}
    if check:
        stale = stale_files(directory, files)
        if stale:
            raise _fail(f"out of date: {', '.join(stale)}; run `screener contracts export`")
        out.print("contracts up to date")
        return
    for path in write_files(directory, files):
        out.print(f"wrote {path}")


@policy_app.command("publish")
def policy_publish(file: Annotated[Path, typer.Argument()]) -> None:
    """Validate a policy document and publish it to the reference topic: running workers take
    it in without a restart, for declarations at or after its effective time."""
    from screener.stream.clients import Produced, produce
    from screener.stream.connection import kafka_of
    from screener.stream.reference import POLICY_KEY_PREFIX

    settings = _settings()
    try:
        # Validated as the workers will read it: list paths resolve in SCREENER_REFERENCE_DIR.
        policy = parse_policy(file.read_text(encoding="utf-8"), settings.reference_dir, str(file))
    except (OSError, PolicyError) as exc:
        raise _fail(str(exc)) from exc
    key = POLICY_KEY_PREFIX + policy.version.encode()
    message = Produced(key, file.read_bytes(), [("content-type", b"application/yaml")])
    asyncio.run(produce(kafka_of(settings), settings.reference_topic, [message]))
    effective = policy.document.effective_from.isoformat()
    topic = settings.reference_topic
    out.print(f"published policy {policy.version} (effective {effective}) to {topic}")


@policy_app.command("validate")
def policy_validate(file: Annotated[Path, typer.Argument()]) -> None:
    """Validate a policy document and the list files it names."""
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        raise _fail(str(exc)) from exc
    doc = policy.document
    out.print(
        f"policy {doc.version} (effective {doc.effective_from.isoformat()}) is valid: "
        f"{len(policy.active)} indicators, {len(doc.commodity_groups)} commodity groups, "
        f"{policy.screening.size} list entries"
    )
