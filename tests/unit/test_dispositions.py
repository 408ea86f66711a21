"""Analysts' dispositions: recorded once on the rows of an alert's entities, read by the
indicator of a confirmed diversion, and dead-lettered when they cannot be."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from screener.batch import HistoryScreener
from screener.cli import app
from screener.core.alerted import noted
from screener.core.assess import alert_for
from screener.core.history.state import DECIDED_SIZE, EntityHistory, EntityRow, encode_row
from screener.core.indicators.history import ConfirmedParams
from screener.core.intake import RejectCode, Rejection, parse_contract
from screener.evaluation import screen_labelled
from screener.models import Disposition, Verdict
from screener.settings import Settings
from screener.stream.dispositions import Dispositions, alert_note, decide, expired
from screener.stream.envelopes import Incoming, Output, encode, origin_of
from screener.stream.hops import partition_of
from tests.conftest import EXAMPLE, screen_statelessly

runner = CliRunner()

EXAMPLES = Path(__file__).resolve().parents[2] / "contracts/examples"
CONSIGNEE = "party:consignee:TH:name:siam precision trading"
ADDRESS = "address:TH:laem chabang free zone chonburi"


def row_of(store: dict, key: str) -> EntityRow:
    return EntityRow.from_dict(orjson.loads(store[key]))


# --- the entity row --------------------------------------------------------------------


def test_a_row_counts_a_verdict_once_and_moves_it_when_it_changes():
    row = EntityRow.new("party")
    assert row.record_disposition("D1", Verdict.TRUE_HIT, 100)
    assert not row.record_disposition("D1", Verdict.TRUE_HIT, 100)  # a copy
    h = row.history
    assert (h.confirmed, h.cleared, h.last_confirmed_at) == (1, 0, 100)
    assert row.record_disposition("D1", Verdict.FALSE_POSITIVE, 100)  # reviewed again
    assert (h.confirmed, h.cleared) == (0, 1)
    assert row.record_disposition("D2", Verdict.TRUE_HIT, 50)
    assert (h.confirmed, h.cleared, h.last_confirmed_at) == (1, 1, 100)


def test_a_row_keeps_its_verdicts_in_order_through_storage_and_forgets_the_oldest():
    row = EntityRow.new("party")
    ids = [f"D{n:03d}" for n in range(DECIDED_SIZE + 2)][::-1]  # not in sorted order
    for n, declaration_id in enumerate(ids):
        row.record_disposition(declaration_id, Verdict.FALSE_POSITIVE, n)
    stored = EntityRow.from_dict(orjson.loads(encode_row(row)))
    assert list(stored.decided) == ids[2:]
    assert stored.history.cleared == DECIDED_SIZE + 2
    assert encode_row(stored) == encode_row(row)


def test_rows_written_before_dispositions_read_as_undecided():
    old = EntityRow.new("party").to_dict()
    assert "decided" not in old and "confirmed" not in old["history"]
    row = EntityRow.from_dict(old)
    assert (row.decided, row.history.confirmed, row.history.cleared) == ({}, 0, 0)


def test_features_show_dispositions_only_once_there_are_some(declaration, policy):
    screener = HistoryScreener(policy, {})
    screener.screen(declaration())
    event = next(e for e in _events(declaration(), policy) if e.key == CONSIGNEE)
    history = row_of(screener.store, CONSIGNEE).history
    assert "dispositions" not in history.features(event)
    history.apply_disposition(None, Verdict.FALSE_POSITIVE, 0)
    assert history.features(event)["dispositions"] == {
        "confirmed": 0,
        "cleared": 1,
        "last_confirmed_at": None,
        "cleared_since": 0,  # cleared, but of no diversion confirmed before it
    }
    stored = EntityHistory.from_dict(history.to_dict())
    assert (stored.confirmed, stored.cleared, stored.last_confirmed_at) == (0, 1, None)


def test_a_feature_names_the_latest_declarations_confirmed(declaration, policy):
    event = next(e for e in _events(declaration(), policy) if e.key == CONSIGNEE)
    row = EntityRow.new("party")
    for n in range(5):
        row.record_disposition(f"D{n}", Verdict.TRUE_HIT, n)
    row.record_disposition("D9", Verdict.FALSE_POSITIVE, 9)
    row.record_disposition("D1", Verdict.TRUE_HIT, 1)  # sent again: the latest decided
    dispositions = row.observe(event)["dispositions"]
    assert dispositions["confirmed_declarations"] == ["D3", "D4", "D1"]
    assert (dispositions["confirmed"], dispositions["cleared"]) == (5, 1)


def _events(d, policy):
    from screener.core.history import scatter

    return scatter(d, policy)


# --- the indicator ---------------------------------------------------------------------


def later(d, days: float, **changes):
    """Another declaration `days` after `d`, with `changes`."""
    data = d.model_dump(mode="json") | {
        "declaration_id": f"{d.declaration_id}-{days}",
        "declared_at": (d.declared_at + timedelta(days=days)).isoformat(),
        "amendments": [],
    }
    data.update(changes)
    return type(d).model_validate(data)


def screened_after(declaration, policy, verdict: str, **changes):
    """The example alerts; an analyst decides `verdict`; the consignee ships again."""
    first = declaration()
    screener = HistoryScreener(policy, {})
    alert = alert_for(screener.screen(first), policy, first)
    assert alert is not None and CONSIGNEE in alert.entities and ADDRESS in alert.entities
    # batch records a verdict on the entities the worker names in the alert
    assert set(alert.entities) == {e.key for e in _events(first, policy)}
    screener.dispose(first.declaration_id, verdict)
    return screener.screen(later(first, 30, **changes))


def test_a_consignee_of_a_confirmed_diversion_alerts_whatever_it_ships_next(declaration, policy):
    clean = declaration(True)  # licensed magnets to Japan: no red flag of their own
    goods = {"items": [i.model_dump(mode="json") for i in clean.items]}
    assessment = screened_after(declaration, policy, Verdict.TRUE_HIT, **goods)
    hit = next(h for h in assessment.indicators if h.code == "CONFIRMED_DIVERSION_BEFORE")
    assert hit.points == 55 and assessment.score >= policy.document.scoring.alert_threshold
    assert (
        "consignee 'Siam Precision Trading Co., Ltd.' was on 1 declaration(s) confirmed as "
        "diversion (CN-EXP-2026-0000123), the latest declared on 2026-11-28"
    ) in hit.evidence  # the case an analyst can pull up
    assert hit.facts["entities"][0]["confirmed_declarations"] == ["CN-EXP-2026-0000123"]
    # the buyer's side: not the exporter or forwarder (honest traders the diverter used),
    # nor the lane, goods or flows others share
    roles = {e["role"] for e in hit.facts["entities"]}
    assert roles == {"consignee", "consignee_address"}
    assert hit.facts["entities"][0]["last_confirmed_on"] == "2026-11-28"


def test_a_confirmed_buyer_is_drawn_until_analysts_clear_its_next_shipments(declaration, policy):
    first = declaration()
    data = first.model_dump(mode="json")
    tiles = {  # priced as magnets: they alert on their own too
        "items": [data["items"][0] | {"hs_code": "6907210000", "description": "ceramic tiles"}],
        "route": data["route"] | {"final_destination_country": None},
    }
    screener = HistoryScreener(policy, {})
    screener.screen(first)
    screener.dispose(first.declaration_id, Verdict.TRUE_HIT)
    exporter = row_of(screener.store, "party:exporter:CN:id:CN-91310000MA1FL").history
    assert exporter.confirmed == 1  # recorded there too, but not drawn (the policy's roles)

    def next_shipment(days: float, verdict: str = Verdict.FALSE_POSITIVE, **changes) -> bool:
        """Whether it is drawn; an alert on it is decided `verdict`."""
        d = later(first, days, **(tiles | changes))
        assessment = screener.screen(d)
        if assessment.score >= policy.document.scoring.alert_threshold:
            screener.dispose(d.declaration_id, verdict)
        return "CONFIRMED_DIVERSION_BEFORE" in {h.code for h in assessment.indicators}

    assert [next_shipment(days) for days in (10, 20, 30)] == [True, True, False]
    assert row_of(screener.store, CONSIGNEE).history.cleared_since == 3
    next_shipment(40, Verdict.TRUE_HIT, items=data["items"], route=data["route"])
    assert [next_shipment(days) for days in (50, 60, 70)] == [True, True, False]
    # a clearance of a declaration before the latest diversion does not count
    stored = EntityHistory.from_dict(row_of(screener.store, CONSIGNEE).history.to_dict())
    stored.apply_disposition(None, Verdict.FALSE_POSITIVE, 0)
    assert stored.cleared_since == 3 and stored.cleared == 7


def test_the_policy_names_only_roles_and_documents_history_has():
    with pytest.raises(ValidationError):
        ConfirmedParams(roles=["consigne"])  # a typo would silently draw nothing
    with pytest.raises(ValidationError):
        ConfirmedParams(documents=["commercial_invoice"])  # not tracked by history
    with pytest.raises(ValidationError):
        ConfirmedParams(until_cleared=0)


def test_a_cleared_alert_draws_nothing(declaration, policy):
    assessment = screened_after(declaration, policy, Verdict.FALSE_POSITIVE)
    assert "CONFIRMED_DIVERSION_BEFORE" not in {h.code for h in assessment.indicators}


def test_score_records_dispositions_at_their_time(declaration, tmp_path):
    first = declaration()
    data = first.model_dump(mode="json")
    tiles = {  # a later declaration of the consignee
        "items": [data["items"][0] | {"hs_code": "6907210000", "description": "ceramic tiles"}],
        "route": data["route"] | {"final_destination_country": None},
    }
    stream = [first, later(first, 2, **tiles), later(first, 10, **tiles)]
    declarations = tmp_path / "declarations.jsonl"
    declarations.write_bytes(b"".join(d.model_dump_json().encode() + b"\n" for d in stream))

    def verdict(declaration_id: str, decided_at: datetime) -> bytes:
        return orjson.dumps(
            {
                "schema_version": 1,
                "declaration_id": declaration_id,
                "alert_id": "alr_" + "0" * 32,  # a backtest's policy may give other ids
                "verdict": "true_hit",
                "analyst": "a",
                "decided_at": decided_at.isoformat(),
                "note": None,
            }
        )

    dispositions = tmp_path / "dispositions.jsonl"
    dispositions.write_bytes(
        b"\n".join(
            [
                verdict(first.declaration_id, first.declared_at + timedelta(days=5)),
                b"",
                b'{"verdict": "true_hit"',
                verdict("CN-EXP-2026-9999999", first.declared_at),  # never screened
            ]
        )
    )

    def drawn(*options: str) -> tuple[list[bool], str]:
        result = runner.invoke(app, ["score", str(declarations), *options])
        assert result.exit_code == 0, result.output
        answers = [orjson.loads(line) for line in result.stdout.splitlines()]
        assert len(answers) == 3
        return [
            "CONFIRMED_DIVERSION_BEFORE" in {h["code"] for h in a["indicators"]} for a in answers
        ], result.stderr

    assert drawn()[0] == [False, False, False]
    confirmed, errors = drawn("--dispositions", str(dispositions))
    assert confirmed == [False, False, True]  # decided on day 5: after the second
    assert f"{dispositions} line 3: invalid-json" in errors
    assert "disposition of CN-EXP-2026-9999999 left out" in errors
    missing = runner.invoke(app, ["score", str(declarations), "--dispositions", "nope.jsonl"])
    assert missing.exit_code == 2


def test_score_records_dispositions_of_alerts_raised_in_an_earlier_run_on_its_state(
    declaration, tmp_path
):
    first, clean = declaration(), declaration(True, declaration_id="CN-EXP-2026-0000777")
    data = first.model_dump(mode="json")
    tiles = {  # later declarations of the consignee
        "items": [data["items"][0] | {"hs_code": "6907210000", "description": "ceramic tiles"}],
        "route": data["route"] | {"final_destination_country": None},
    }

    def lines(path, *items) -> str:
        path.write_bytes(b"".join(i.model_dump_json().encode() + b"\n" for i in items))
        return str(path)

    def decided(d, days: float) -> Disposition:
        return Disposition(
            schema_version=1,
            declaration_id=d.declaration_id,
            alert_id="alr_" + "0" * 32,
            verdict=Verdict.TRUE_HIT,
            analyst="a",
            decided_at=first.declared_at + timedelta(days=days),
        )

    state = str(tmp_path / "state")
    earlier = runner.invoke(
        app, ["score", lines(tmp_path / "1.jsonl", first, clean), "--state", state]
    )
    assert earlier.exit_code == 0, earlier.output
    # The next run: the alert of the first is confirmed on day 5; the clean one never alerted.
    verdicts = lines(tmp_path / "d.jsonl", decided(first, 5), decided(clean, 1))
    later_ones = lines(tmp_path / "2.jsonl", later(first, 2, **tiles), later(first, 10, **tiles))
    result = runner.invoke(app, ["score", later_ones, "--state", state, "--dispositions", verdicts])
    assert result.exit_code == 0, result.output
    drawn = [
        "CONFIRMED_DIVERSION_BEFORE" in {h["code"] for h in orjson.loads(line)["indicators"]}
        for line in result.stdout.splitlines()
    ]
    assert drawn == [False, True]
    assert result.stderr.count("left out") == 1
    assert "disposition of CN-EXP-2026-0000777 left out: the declaration had not alerted" in (
        result.stderr
    )


def test_evaluation_analysts_decide_each_alert_when_it_is_due(declaration, policy):
    first = declaration()
    clean = declaration(True)
    goods = {"items": [i.model_dump(mode="json") for i in clean.items]}
    stream = [first, later(first, 2, **goods), later(first, 4, **goods)]

    def confirmed(review_days, label="transshipment", error=0.0):
        lines = [(d.model_dump_json().encode(), label, False, False) for d in stream]
        scored, _ = screen_labelled(lines, policy, review_days, error)
        assert scored[0].score >= policy.document.scoring.alert_threshold
        return ["CONFIRMED_DIVERSION_BEFORE" in s.indicators for s in scored]

    assert confirmed(None) == [False, False, False]  # no analysts
    assert confirmed(3) == [False, False, True]  # decided on day 3
    assert confirmed(0) == [False, True, True]
    assert confirmed(0, label="ordinary") == [False, False, False]  # cleared
    # analysts always wrong: the ordinary alert confirmed, the planted one cleared
    assert confirmed(0, label="ordinary", error=1.0) == [False, True, True]
    assert confirmed(0, error=1.0) == [False, False, False]


# --- the stream's pure step ------------------------------------------------------------


@pytest.fixture
def alert_value(declaration, policy) -> bytes:
    d = declaration()
    alert = alert_for(HistoryScreener(policy, {}).screen(d), policy, d)
    return encode(alert)


def disposition_item(alert_id: str, verdict: str, raw: bytes = b"{}") -> dict:
    record = Incoming("screening.dispositions.v1", 2, 7, b"CN-EXP-2026-0000123", raw, [])
    return {
        "t": "disposition",
        "declaration_id": "CN-EXP-2026-0000123",
        "alert_id": alert_id,
        "verdict": verdict,
        "decided_at": "2026-11-29T14:05:00+00:00",
        "analyst": "a",
        "raw": raw.decode("latin-1"),
        "origin": origin_of(record),
    }


def test_a_disposition_of_a_noted_alert_goes_to_each_of_its_entities_once(alert_value):
    note = alert_note(alert_value)
    decided = decide([(0, note)], lambda p, k: None, 6)
    row = decided.rows["CN-EXP-2026-0000123"]
    assert row["alert_ids"] == [note["alert_id"]] and CONSIGNEE in row["entities"]
    table = {"CN-EXP-2026-0000123": row}

    def load(partition, key):
        return table.get(key)

    item = disposition_item(note["alert_id"], "true_hit")
    decided = decide([(0, item), (0, item)], load, 6)  # and a copy in the same batch
    items = [i for _, value in decided.to_entities.messages() for i in orjson.loads(value)]
    assert sorted(i["key"] for i in items) == row["entities"]
    assert {(i["verdict"], i["declared_at"]) for i in items} == {("true_hit", note["declared_at"])}
    assert decided.verdicts == [("true_hit", sorted(note["indicators"]))]
    assert not decided.dead
    for partition, value in decided.to_entities.messages():  # each to its entity's partition
        assert {partition_of(i["key"], 6) for i in orjson.loads(value)} == {partition}

    table["CN-EXP-2026-0000123"] = decided.rows["CN-EXP-2026-0000123"]
    again = decide([(0, item)], load, 6)
    assert again.verdicts == [] and again.to_entities.messages() == []
    changed = decide([(0, disposition_item(note["alert_id"], "false_positive"))], load, 6)
    assert changed.verdicts == [("false_positive", sorted(note["indicators"]))]


def test_a_disposition_of_an_alert_never_noted_is_a_dead_letter_of_its_bytes():
    raw = (EXAMPLES / "screening-disposition.example.json").read_bytes()
    decided = decide(
        [(3, disposition_item("alr_" + "0" * 32, "true_hit", raw))], lambda p, k: None, 6
    )
    (dead,) = decided.dead
    headers = dict(dead.headers)
    assert dead.output == Output.DISPOSITION_DEAD_LETTERS and dead.value == raw
    assert headers["dlq-error-code"] == RejectCode.UNKNOWN_ALERT.value.encode()
    assert headers["dlq-expected-schema"] == b"screening-disposition/1"
    assert (headers["dlq-source-topic"], headers["dlq-source-offset"]) == (
        b"screening.dispositions.v1",
        b"7",
    )
    assert decided.rows == {} and decided.verdicts == []


def note(alert_id: str, entities: list[str], at: int) -> dict:
    return {
        "t": "alerted",
        "declaration_id": "CN-EXP-2026-0000123",
        "alert_id": alert_id,
        "declared_at": at,
        "assessed_at": at + 10,
        "entities": entities,
        "indicators": [f"I{at}"],
    }


def test_an_alert_noted_again_keeps_one_row_with_every_id():
    a, b = note("alr_a", ["x", "y"], 1), note("alr_b", ["y", "z"], 2)
    row = noted(noted(noted(None, a), a), b)
    assert row == {
        "alert_ids": ["alr_a", "alr_b"],
        "entities": ["x", "y", "z"],
        "indicators": ["I1", "I2"],
        "declared_at": 1,  # the first filing's
        "assessed_at": 12,
    }
    assert noted(row, a)["assessed_at"] == 12  # a late copy of the first note
    assert noted(noted(None, b), a) == row  # whatever order the notes come in


def test_an_amendment_alerted_after_the_verdict_takes_it_to_its_new_entities():
    table: dict = {}

    def load(partition, key):
        return table.get(key)

    def run(*items):
        decided = decide([(0, i) for i in items], load, 6)
        table.update(decided.rows)
        return [i for _, value in decided.to_entities.messages() for i in orjson.loads(value)]

    first = note("alr_a", ["party:x", "party:y"], 1)
    assert run(first) == []
    sent = run(disposition_item("alr_a", "true_hit"))
    assert sorted(i["key"] for i in sent) == ["party:x", "party:y"]
    # re-addressed to z: z learns of the verdict, x and y are not told twice
    sent = run(note("alr_b", ["party:x", "party:z"], 2))
    assert [(i["key"], i["verdict"], i["declared_at"]) for i in sent] == [
        ("party:z", "true_hit", 1)  # at the declaration's first filing, as x and y
    ]
    assert run(first) == []  # a copy of a note adds no entity
    # a verdict changed later goes to every entity of every version
    sent = run(disposition_item("alr_b", "false_positive"))
    assert sorted(i["key"] for i in sent) == ["party:x", "party:y", "party:z"]
    assert run(note("alr_c", ["party:w"], 3))[0]["verdict"] == "false_positive"


def test_batch_takes_a_verdict_to_the_new_entities_of_an_amendment_alerted_after_it(
    declaration, policy
):
    first = declaration()
    screener = HistoryScreener(policy, {})
    screener.screen(first)
    assert screener.dispose(first.declaration_id, Verdict.TRUE_HIT)
    assert not screener.dispose("CN-EXP-2026-0000999", Verdict.TRUE_HIT)  # never alerted
    other = "party:consignee:TH:name:chonburi components"
    amended = declaration(**{"parties.consignee.name": "Chonburi Components Co., Ltd."})
    assert alert_for(screener.screen(amended), policy, amended) is not None
    assert row_of(screener.store, other).history.confirmed == 1  # as the worker's ledger does
    assert row_of(screener.store, CONSIGNEE).history.confirmed == 1  # not counted twice


def test_a_row_expires_with_its_latest_alert():
    row = noted(noted(None, note("alr_a", ["x"], 100)), note("alr_b", ["x"], 200))
    stored = orjson.dumps(row)
    assert expired(stored, 211) and not expired(stored, 210)
    legacy = orjson.dumps({k: v for k, v in row.items() if k != "assessed_at"})
    assert expired(legacy, 101) and not expired(legacy, 100)  # by its declaration's time


def test_dispositions_are_read_strictly():
    example = (EXAMPLES / "screening-disposition.example.json").read_bytes()
    parsed = parse_contract(example, Disposition)
    assert isinstance(parsed, Disposition) and parsed.verdict == Verdict.TRUE_HIT
    for bad, code in [
        (b"", RejectCode.EMPTY),
        (b"{", RejectCode.INVALID_JSON),
        (example.replace(b'"true_hit"', b'"maybe"'), RejectCode.SCHEMA_VIOLATION),
        (example.replace(b'"alr_', b'"alert_'), RejectCode.SCHEMA_VIOLATION),
        (
            example.replace(b'"schema_version": 1', b'"schema_version": 2'),
            RejectCode.UNSUPPORTED_VERSION,
        ),
    ]:
        rejection = parse_contract(bad, Disposition)
        assert isinstance(rejection, Rejection) and rejection.code == code, bad[:40]


def test_what_gather_publishes_for_an_alert_is_noted_with_it(policy):
    record = Incoming("shipments.declarations.v1", 0, 0, b"k", EXAMPLE.read_bytes(), [])
    screened = screen_statelessly(record, policy, datetime(2026, 11, 28, 10, tzinfo=UTC))
    hop_topic = object()
    dispositions = Dispositions(Settings.model_construct(), None, None, hop_topic, None, {}, 0)
    ((topic, partition, key, value, headers),) = dispositions.notes(screened.outgoing)
    assert (topic, partition, key, headers) == (hop_topic, 0, None, [])
    (note,) = orjson.loads(value)
    assert note == alert_note(next(o.value for o in screened.outgoing if o.output == "alerts"))
    assert note["t"] == "alerted" and CONSIGNEE in note["entities"]
    assert dispositions.notes([o for o in screened.outgoing if o.output != "alerts"]) == []


def test_a_value_that_is_no_alert_is_not_noted():
    for value in (None, b"", b"not json", b"[]", b'{"declaration_id": "x"}', b'{"a": 1}'):
        assert alert_note(value) is None, value
