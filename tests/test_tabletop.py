"""Tabletop exercises: scenario loading, the replay engine, isolation, and the minutes."""

from __future__ import annotations

import hashlib
import json
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from triage import clock
from triage.clock import ManualClock, RealClock
from triage.commands import Commands
from triage.errors import CommandRejected, ScenarioError, WorkspaceError
from triage.evidence import ExportRequest, export_pack
from triage.evidence.replay import is_exercise
from triage.playbooks import PlaybookSet
from triage.store import anchor as anchoring
from triage.store.workspace import Workspace
from triage.tabletop import report
from triage.tabletop.exercise import Exercise
from triage.tabletop.replay import (
    AlertsReplayed,
    Delivery,
    InjectDue,
    Replay,
    ReplayEvent,
    ReplayFinished,
    ReplayPaused,
    ReplayResumed,
    ReplayStarted,
    SkippedAhead,
    SpeedChanged,
)
from triage.tabletop.scenario import Scenario, ScenarioAlert, format_offset, parse_offset
from triage.tabletop.scenario import load as load_scenario

from .conftest import SAMPLES, Cli, event_count

RANSOM = SAMPLES / "scenarios" / "ransomware-precursor"


class ListSink:
    """Keeps what it is given (the engine's contract with any sink)."""

    def __init__(self) -> None:
        self.batches: list[tuple[int, ...]] = []

    def deliver(self, alerts: Any) -> Delivery:
        self.batches.append(tuple(a.n for a in alerts))
        return Delivery(delivered=len(alerts))


def _kinds(events: list[ReplayEvent]) -> list[str]:
    return [type(e).__name__ for e in events]


# -- scenario files ---------------------------------------------------------------------------


def test_offsets_round_trip() -> None:
    assert parse_offset("T+0") == timedelta(0)
    assert parse_offset("T+1h30m") == timedelta(minutes=90)
    assert format_offset(5400) == "T+1h30m" and format_offset(0) == "T+0" and format_offset(61) == "T+1m1s"
    with pytest.raises(ValueError, match="T\\+12m"):
        parse_offset("12 minutes")


BROKEN = """\
id: Broken Scenario
objectives: [find it]
roles:
  - role: analyst
alerts:
  - alerts.ndjson
  - missing.ndjson
expected:
  - rule_name: "Malware*"
    disposition: true_positve
  - doc_id: no-such-doc
    disposition: true_positive
  - why: matches nothing
    disposition: false_positive
escalations:
  - name: Escalate the malware
    match: {rule_name: "Malware*"}
    within: soon
injects:
  - "T+0: briefing"
  - "at twelve minutes: the phone rings"
  - at: T+5m
"""


def _alert_line(n: int, minutes: float, rule: str = "Malware detected", **extra: Any) -> str:
    t = datetime(2026, 10, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)
    doc: dict[str, Any] = {
        "@timestamp": t.isoformat().replace("+00:00", "Z"),
        "event": {"kind": "alert", "id": f"e-{n}", "severity": 73},
        "rule": {"name": rule, "id": f"r-{n}"},
        "host": {"name": f"lt-{n}"},
        **extra,
    }
    return json.dumps(doc) + "\n"


def test_a_broken_scenario_reports_file_line_field_and_fix(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text(BROKEN)
    (tmp_path / "alerts.ndjson").write_text(_alert_line(1, 0))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path)
    f = tmp_path / "scenario.yaml"
    problems = exc.value.problems
    expected = [
        f"{f}:1: id: scenario id 'Broken Scenario': use lower-case letters, digits and '-'",
        f"{f}:1: title: Field required",
        f"{f}:10: expected[0].disposition[0]: Input should be 'true_positive'",
        f"{f}:13: expected[2]: give at least one of doc_id, rule_name, host, user, src_ip, profile",
        f"{f}:18: escalations[0].within: 'T+soon' is not a time into the exercise; write T+ and a duration",
        f"{f}:21: injects[1]: 'at twelve minutes: the phone rings': write an inject as 'T+12m: what happens'",
        f"{f}:22: injects[2].text: Field required",
    ]
    assert len(problems) == len(expected), problems
    for got, want in zip(problems, expected, strict=True):
        assert got.startswith(want), (got, want)


def test_a_scenario_with_missing_files_and_unknown_ids_lists_every_problem(tmp_path: Path) -> None:
    text = BROKEN.replace("id: Broken Scenario", "id: broken\ntitle: Broken")
    text = text.replace("true_positve", "true_positive").replace(
        "  - why: matches nothing\n", "  - host: x\n"
    )
    text = text.replace("within: soon", "within: 10m").replace("  - at: T+5m\n", "")
    text = text.replace('  - "at twelve minutes: the phone rings"\n', "")
    (tmp_path / "scenario.yaml").write_text(text)
    (tmp_path / "alerts.ndjson").write_text(_alert_line(1, 0))
    with pytest.raises(ScenarioError) as exc:
        load_scenario(tmp_path)
    f = tmp_path / "scenario.yaml"
    assert exc.value.problems == [
        f"{f}:8: alerts[1]: no file 'missing.ndjson' in {tmp_path}; give the name of an alerts file there",
        f"{f}:12: expected[1].doc_id: no alert in the scenario has id 'no-such-doc';"
        " use the id of one of its alerts or a match rule",
    ]


def test_yaml_syntax_errors_and_missing_scenarios(tmp_path: Path) -> None:
    (tmp_path / "scenario.yaml").write_text("id: x\ntitle: [unclosed\nroles: []\n")
    with pytest.raises(ScenarioError, match=r"scenario.yaml:3: YAML syntax"):
        load_scenario(tmp_path)
    with pytest.raises(ScenarioError, match="no scenario here"):
        load_scenario(tmp_path / "nowhere")


GOOD = """\
id: drill
title: Drill
objectives: [Find the malware]
roles:
  - role: incident-commander
  - role: analyst
alerts: [alerts.ndjson]
expected:
  - rule_name: "Malware detected"
    disposition: true_positive
  - rule_name: "TLS certificate*"
    disposition: benign_true_positive
  - rule_name: "Impossible travel*"
    disposition: [false_positive, benign_true_positive]
escalations:
  - name: Malware escalated
    match: {rule_name: "Malware detected"}
    within: 10m
  - name: Travel escalated
    match: {rule_name: "Impossible travel*"}
injects:
  - "T+0: briefing"
  - "T+2m30s: the phone rings"
"""


def _drill(tmp_path: Path, lines: list[str]) -> Path:
    folder = tmp_path / "drill"
    folder.mkdir()
    (folder / "scenario.yaml").write_text(GOOD)
    (folder / "alerts.ndjson").write_text("".join(lines))
    return folder


def test_bad_lines_are_reported_with_their_number_and_skipped(tmp_path: Path, playbooks: PlaybookSet) -> None:
    lines = [
        _alert_line(1, 0),
        _alert_line(2, 1),
        '{"@timestamp": "2026-10-05T09:02:00Z", "event": {"kind": "alert"\n',  # truncated by a crash
        "\n",
        '{"neither": "an alert"}\n',
        _alert_line(3, 3, rule="TLS certificate expiring"),
        "\xff\xfe not text\n",
    ]
    folder = _drill(tmp_path, lines)
    (folder / "alerts.ndjson").write_bytes(
        "".join(lines).encode("utf-8").replace(b"\xc3\xbf\xc3\xbe", b"\xff\xfe")
    )
    scenario = load_scenario(folder)
    assert [a.alert.doc_id for a in scenario.alerts] == ["e-1", "e-2", "e-3"]
    assert len(scenario.skipped) == 3
    assert scenario.skipped[0].startswith("alerts.ndjson line 3: malformed JSON")
    assert scenario.skipped[1].startswith("alerts.ndjson line 5: unknown alert format")
    assert scenario.skipped[2].startswith("alerts.ndjson line 7: not valid UTF-8")
    sink = ListSink()
    finished = Replay(scenario, sink, speed=0, clock=ManualClock()).run()
    assert finished.alerts == 3 and sink.batches == [(1,), (2,), (3,)]


# -- the engine -------------------------------------------------------------------------------


def test_unlimited_replay_is_deterministic_and_never_waits() -> None:
    scenario = load_scenario(RANSOM)
    runs = []
    for _ in range(2):
        sink, clk = ListSink(), ManualClock()
        events = list(Replay(scenario, sink, speed=0, clock=clk).events())
        assert clk.slept == [] and clk.now == 0.0
        runs.append(([(type(e).__name__, getattr(e, "at_s", None)) for e in events], sink.batches))
    assert runs[0] == runs[1]
    kinds, batches = runs[0]
    assert kinds[0] == ("ReplayStarted", 0.0) and kinds[-1][0] == "ReplayFinished"
    assert sum(len(b) for b in batches) == len(scenario.alerts) == 58
    assert [n for b in batches for n in b] == list(range(1, 59))  # every alert once, in order
    assert sum(k == "InjectDue" for k, _ in kinds) == 6
    offsets = [at for _, at in kinds if at is not None]
    assert offsets == sorted(offsets)


def test_relative_timing_is_kept_and_scaled_by_speed() -> None:
    scenario = load_scenario(RANSOM)
    clk = ManualClock(1000.0)
    seen: list[tuple[float, float]] = []

    def hear(e: ReplayEvent) -> None:
        if isinstance(e, AlertsReplayed | InjectDue):
            seen.append((e.at_s, clk.now - 1000.0))

    finished = Replay(scenario, ListSink(), speed=30, clock=clk, listener=hear).run()
    assert finished == ReplayFinished(6600.0, 58, 6, False)
    for at_s, elapsed in seen:
        assert elapsed == pytest.approx(at_s / 30), at_s  # an hour of recording in two minutes
    assert clk.now - 1000.0 == pytest.approx(scenario.duration_s / 30)


def _small(tmp_path: Path) -> Scenario:
    return load_scenario(
        _drill(
            tmp_path,
            [_alert_line(1, 0), _alert_line(2, 1), _alert_line(3, 5), _alert_line(4, 5), _alert_line(5, 20)],
        )
    )


def test_pause_resume_skip_and_speed(tmp_path: Path) -> None:
    scenario = _small(tmp_path)  # alerts at 0, 60, 300, 300, 1200 s; injects at 0 and 150 s
    clk, sink = ManualClock(), ListSink()
    r = Replay(scenario, sink, speed=1, clock=clk)
    assert r.duration_s == 1200 and r.remaining == (5, 2)
    # one thing per step: the briefing, then the alerts of that instant, then nothing until due
    assert _kinds(r.step()) == ["ReplayStarted", "InjectDue"] and sink.batches == []
    assert _kinds(r.step()) == ["AlertsReplayed"] and sink.batches == [(1,)]
    assert r.step() == [] and r.next_due_s == 60
    clk.advance(100)
    assert _kinds(r.step()) == ["AlertsReplayed"] and r.position_s == 100
    assert r.pause() and not r.pause()  # pausing twice is a no-op
    clk.advance(10_000)
    assert r.position_s == 100 and _kinds(r.step()) == ["ReplayPaused"] and r.remaining == (3, 1)
    # skipping while paused moves time but stays paused; what it passes falls due in order
    assert r.skip_ahead(to="inject") == 150
    assert r.paused and _kinds(r.step()) == ["SkippedAhead"]
    assert r.resume()
    events = r.step()
    assert _kinds(events) == ["ReplayResumed", "InjectDue"] and isinstance(events[1], InjectDue)
    assert events[1].label == "T+2m30s" and events[1].text == "the phone rings"
    assert r.skip_ahead(to="alert") == 300
    events = r.step()
    assert _kinds(events) == ["SkippedAhead", "AlertsReplayed"] and sink.batches[-1] == (3, 4)  # same instant
    r.set_speed(60)
    clk.advance(10)  # 10 s at 60x: 600 s of scenario time
    assert _kinds(r.step()) == ["SpeedChanged"] and r.position_s == pytest.approx(900)
    assert r.skip_ahead(1000) == pytest.approx(1900)
    events = r.step()
    assert _kinds(events) == ["SkippedAhead", "AlertsReplayed", "ReplayFinished"]
    assert events[-1] == ReplayFinished(pytest.approx(1900), 5, 2, False)  # type: ignore[arg-type]
    assert r.finished and not r.pause() and sink.batches == [(1,), (2,), (3, 4), (5,)]
    with pytest.raises(Exception, match="not both"):
        r.skip_ahead(5, to="alert")


def test_stop_ends_early_and_skip_to_a_missing_kind_goes_to_the_end(tmp_path: Path) -> None:
    scenario = _small(tmp_path)
    r = Replay(scenario, ListSink(), speed=1, clock=ManualClock())
    r.step()
    r.skip_ahead(to="inject")
    r.step()
    assert r.skip_ahead(to="inject") == 1200  # no inject left: the end
    r2 = Replay(scenario, ListSink(), speed=1, clock=ManualClock())
    r2.step()
    r2.stop()
    assert r2.step()[-1] == ReplayFinished(0.0, 0, 1, True)  # stopped after the briefing
    assert r2.finished and r2.step() == []


def test_controls_from_another_thread_wake_the_replay(tmp_path: Path) -> None:
    scenario = _small(tmp_path)
    paused = threading.Event()
    events: list[ReplayEvent] = []

    def hear(e: ReplayEvent) -> None:
        events.append(e)
        if isinstance(e, AlertsReplayed) and e.alerts[0].n == 1:
            r.pause()
        if isinstance(e, ReplayPaused):
            paused.set()

    r = Replay(scenario, ListSink(), speed=0, clock=RealClock(), listener=hear)
    worker = threading.Thread(target=r.run)
    worker.start()
    assert paused.wait(10)
    assert r.paused and r.remaining == (4, 1)
    worker.join(0.2)
    assert worker.is_alive() and r.remaining == (4, 1)  # nothing plays while paused
    r.resume()
    worker.join(10)
    assert not worker.is_alive()
    assert isinstance(events[-1], ReplayFinished) and events[-1].alerts == 5
    assert ReplayResumed in {type(e) for e in events} and ReplayStarted in {type(e) for e in events}
    assert not ({SkippedAhead, SpeedChanged} & {type(e) for e in events})


# -- exercises: isolation --------------------------------------------------------------------


class FixedClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, minutes: float) -> None:
        self.now = datetime(2026, 10, 5, 9, 0, tzinfo=UTC) + timedelta(minutes=minutes)


@pytest.fixture
def fixed() -> Iterator[FixedClock]:
    fc = FixedClock(datetime(2026, 10, 5, 9, 0, tzinfo=UTC))
    clock.set_clock(fc)
    try:
        yield fc
    finally:
        clock.set_clock(None)


def test_an_exercise_never_touches_production(
    tmp_path: Path, playbooks: PlaybookSet, fixed: FixedClock
) -> None:
    prod_path = tmp_path / "prod.db"
    with Workspace.create(prod_path) as prod:
        Commands(prod, playbooks, "alice").ingest_records(
            load_scenario(RANSOM).alerts[0].record for _ in range(1)
        )
        before = prod.head()
    scenario = load_scenario(RANSOM)
    with pytest.raises(WorkspaceError, match="production workspace"):
        Exercise.create(scenario, prod_path, exercise_id="tt-1", playbooks=playbooks, production=prod_path)
    with pytest.raises(WorkspaceError, match="already there"):  # an existing file is never reused
        Exercise.create(scenario, prod_path, exercise_id="tt-1", playbooks=playbooks)
    with pytest.raises(CommandRejected, match="no role 'ceo'"):
        Exercise.create(
            scenario, tmp_path / "x.db", exercise_id="tt-1", playbooks=playbooks, participants={"a": "ceo"}
        )
    with Exercise.create(
        scenario, tmp_path / "ex.db", exercise_id="tt-iso", playbooks=playbooks, speed=0, clock=ManualClock()
    ) as ex:
        ex.run()
        Commands(ex.ws, playbooks, "bob").acknowledge(1)
        bodies = [json.loads(e.body) for e in ex.ws.events()]
        assert ex.ws.kind == "exercise" and len(bodies) == 1 + 58 + 6 + 1 + 1
        assert all(b["exercise"] == "tt-iso" and is_exercise(b) for b in bodies)
        assert [b["action"] for b in bodies if b["action"].startswith("exercise.")] == [
            "exercise.started",
            *["exercise.inject"] * 6,
            "exercise.ended",
        ]
        # the evidence export counts none of it
        anchoring.generate_key(tmp_path / "k" / "anchor.key")
        fixed.now = datetime(2026, 11, 2, tzinfo=UTC)
        req = ExportRequest(
            month="2026-10",
            out=tmp_path / "pack",
            key=anchoring.load_private_key(tmp_path / "k" / "anchor.key"),
            actor="x",
        )
        metrics = json.loads((export_pack(ex.ws, req).path / "metrics.json").read_text())
        assert metrics["alerts_total"] == 0 and metrics["exercise_events_excluded"] == len(bodies)
        assert metrics["work_per_analyst"] == {}
    with Workspace.open(prod_path) as prod:
        assert prod.head() == before and event_count(prod) == 1
    with (
        Workspace.open(prod_path) as prod,
        pytest.raises(CommandRejected, match="production workspace; exercises run in their own"),
    ):
        Commands(prod, playbooks, "x").start_exercise({}, settings={})


# -- the minutes ------------------------------------------------------------------------------


def _scripted(tmp_path: Path, playbooks: PlaybookSet, fixed: FixedClock) -> Workspace:
    """Four alerts at 09:00, then the team's actions at scripted times (minutes after)."""
    lines = [
        _alert_line(1, 0),  # Malware detected, high: malware-endpoint, acknowledge within 15m
        _alert_line(2, 1),
        _alert_line(
            3,
            2,
            rule="TLS certificate expiring within 14 days",
            event={"kind": "alert", "id": "e-3", "severity": 21},
        ),
        _alert_line(
            4,
            3,
            rule="Impossible travel sign-in <img src=x> \x1b[31m \u202eevil\u202c\u200b\u2028",
            event={"kind": "alert", "id": "e-4", "severity": 47},
        ),
    ]
    scenario = load_scenario(_drill(tmp_path, lines))
    ex = Exercise.create(
        scenario,
        tmp_path / "ex.db",
        exercise_id="tt-drill",
        playbooks=playbooks,
        speed=0,
        clock=ManualClock(),
        participants={"bob": "incident-commander"},
    )
    ex.run()  # everything arrives at 09:00 (unlimited speed)
    bob, alice = Commands(ex.ws, playbooks, "bob"), Commands(ex.ws, playbooks, "alice")
    ids = {row[1]: row[0] for row in ex.ws.conn.execute("SELECT id, doc_id FROM alerts")}
    a1, a2, a3 = ids["e-1"], ids["e-2"], ids["e-3"]  # e-4 is left alone
    fixed.at(5)
    bob.acknowledge(a1)
    fixed.at(10)
    alice.acknowledge(a3)
    fixed.at(12)
    bob.escalate(a1, title="Malware on lt-1")  # 12 minutes: the target was 10, so late
    fixed.at(20)
    for step in ("validate", "contain", "scope", "document"):
        bob.complete_step(a1, step)
    alice.close(a3, "benign_true_positive", "certificate renewal is scheduled", override="known noise")
    fixed.at(30)
    bob.close(a1, "true_positive", "contained and cleaned")
    fixed.at(120)
    alice.acknowledge(a2)
    fixed.at(180)
    alice.close(a2, "false_positive", "looked fine", override="no time")
    return ex.ws


def test_the_minutes_match_a_scripted_exercise(
    tmp_path: Path, playbooks: PlaybookSet, fixed: FixedClock
) -> None:
    ws = _scripted(tmp_path, playbooks, fixed)
    m = report.build(ws)
    by_doc = {a.facts["doc_id"]: a for a in m.alerts}
    a1, a2, a3, a4 = (by_doc[f"e-{n}"] for n in range(1, 5))
    # times to acknowledge and close, from arrival at 09:00
    assert (a1.ack_s, a1.close_s, a2.ack_s, a2.close_s, a3.ack_s, a3.close_s) == (
        300,
        1800,
        7200,
        10800,
        600,
        1200,
    )
    assert a4.ack_s is None and a4.close_s is None
    assert (a1.ack_within, a2.ack_within) == (900, 900)
    # dispositions against the expected ones
    assert [a.disposition_ok for a in (a1, a2, a3, a4)] == [True, False, True, False]
    # escalations: the malware one 12 minutes after the first malware alert (target 10): late; travel missed
    assert [(e.name, e.status, e.delay_s) for e in m.escalations] == [
        ("Malware escalated", "late", 720.0),
        ("Travel escalated", "missed", None),
    ]
    # skipped steps: a2 and a3 overridden, a4 left open without its required steps
    assert a2.overridden == ["validate", "contain", "scope", "document"] and a2.override_reason == "no time"
    assert a3.overridden == ["validate", "scope", "decide", "document"]
    assert a4.steps_missing == ["validate", "scope", "decide", "document"] and not a4.closed
    # score: dispositions 2/4 x 40 = 20; escalations (0.5 + 0)/2 x 25 = 6.25;
    # response: a1 in time, a2 late -> 1/2 x 20 = 10; discipline: a1 complete, a2 overridden -> 1/2 x 15 = 7.5
    assert {k: (got, n) for k, (got, n, _) in m.parts.items()} == {
        "dispositions": (2, 4),
        "escalations": (0.5, 2),
        "response": (1, 2),
        "discipline": (1, 2),
    }
    assert [p for _, _, p in m.parts.values()] == [20.0, 6.25, 10.0, 7.5]
    assert m.score == 43.8
    assert m.participants == {"alice": [], "bob": ["incident-commander"]}
    assert m.roles == {"incident-commander": ["bob"], "analyst": []}
    assert [label for _, label, _ in m.injects] == ["T+0", "T+2m30s"]
    assert m.improve == [
        "Escalate sooner: “Malware escalated” took 12m after the first alert, the target is 10m.",
        "Escalate when the evidence is there: “Travel escalated” was never escalated"
        " (rule_name=Impossible travel*).",
        f"Review the dispositions of 1 alerts closed differently than expected (alerts {a2.id}).",
        "1 noise alerts were left open: close known-benign noise quickly so it does not hide the attack.",
        "Acknowledge true positives within the playbook target: 1 were late or never acknowledged.",
        "Follow the playbooks on true positives; required steps skipped or overridden:"
        " contain (1×), document (1×), scope (1×), validate (1×).",
    ]
    whats = [what for _, _, what in m.timeline]
    assert whats[0] == "exercise started: Drill" and whats[1] == "T+0: briefing"
    assert f"alert {a1.id} escalated to new incident 1: Malware on lt-1" in whats
    assert whats[-1] == (
        f"alert {a2.id} closed as false_positive: looked fine;"
        " steps overridden: validate, contain, scope, document (no time)"
    )

    written = report.write(ws, tmp_path / "minutes")
    md = written.markdown.read_text()
    html_text = written.html.read_text()
    assert written.sha256 == hashlib.sha256(written.markdown.read_bytes()).hexdigest()
    for text in (md, html_text):
        assert "43.8 / 100" in text and "Travel escalated" in text and "missed" in text
        assert "\x1b" not in text  # alert text is shown literally, never as markup or escapes
    assert "<img" not in md.replace("\\<img", "") and "\\<img src=x\\> \\\\x1b\\[31m" in md
    assert "<img" not in html_text and "&lt;img src=x&gt; \\x1b[31m" in html_text
    # and nothing that spoofs (a bidi override, a zero-width character, a line separator)
    assert (
        "\\\\u202eevil\\\\u202c\\\\u200b\\\\u2028" in md and "\\u202eevil\\u202c\\u200b\\u2028" in html_text
    )
    for text in (md, html_text):
        assert not {"\u202e", "\u202c", "\u200b", "\u2028"} & set(text)
    assert html_text.startswith("<!DOCTYPE html>") and "<style>" in html_text and 'src="http' not in html_text


def test_minutes_refuse_a_production_workspace(ws: Workspace) -> None:
    with pytest.raises(CommandRejected, match="not an exercise workspace"):
        report.build(ws)


# -- the command line -------------------------------------------------------------------------


def test_cli_run_report_and_record_in_production(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    ex_db = tmp_path / "drill.db"
    result = cli(
        "tabletop",
        "run",
        "leaked-cloud-key",
        "--unlimited",
        "--workspace",
        str(ex_db),
        "--exercise-id",
        "tt-cli",
        "--participant",
        "alice=incident-commander",
    )
    assert result.exit_code == 0, result.output
    assert (
        "=== INJECT T+25m ===" in result.output and "replay finished: 47 alerts, 5 injects" in result.output
    )
    assert cli("--db", str(ex_db), "ack", "1").exit_code == 0
    out = tmp_path / "minutes"
    result = cli("tabletop", "report", str(ex_db), "--out", str(out), "--record-in", str(cli.db))
    assert result.exit_code == 0, result.output
    md = out / "minutes-tt-cli.md"
    assert md.exists() and (out / "minutes-tt-cli.html").exists()
    with Workspace.open(cli.db) as prod:
        (event,) = list(prod.events())
        assert event.action == "exercise.recorded" and event.exercise is None
        assert event.payload["minutes_sha256"] == hashlib.sha256(md.read_bytes()).hexdigest()
        assert (
            event.payload["exercise_id"] == "tt-cli" and event.payload["title"] == "Leaked cloud access key"
        )
        assert prod.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0
    # the exercise workspace is not a production one, and production is not an exercise
    result = cli("tabletop", "report", str(ex_db), "--out", str(out), "--record-in", str(ex_db))
    assert result.exit_code == 2 and "exercise workspace" in result.output
    result = cli("tabletop", "run", "leaked-cloud-key", "--unlimited", "--workspace", str(cli.db))
    assert result.exit_code == 2 and "production workspace" in result.output


def test_cli_check_reports_problems_and_skipped_lines(cli: Cli, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(RANSOM, folder)
    with (folder / "alerts-ecs.ndjson").open("a") as fh:
        fh.write('{"broken": \n')
    result = cli("tabletop", "check", str(folder))
    assert result.exit_code == 0
    n = len((folder / "alerts-ecs.ndjson").read_text().splitlines())
    assert f"skipped: alerts-ecs.ndjson line {n}: malformed JSON" in result.output
    assert "58 alerts" in result.output and "1 lines skipped" in result.output
    (folder / "scenario.yaml").write_text(
        (folder / "scenario.yaml").read_text().replace("role: analyst", "role: ''")
    )
    result = cli("tabletop", "check", str(folder))
    assert (
        result.exit_code == 2
        and "scenario.yaml:18: roles[1].role: String should have at least 1 character" in result.output
    )
    result = cli("tabletop", "run", "no-such-scenario")
    assert (
        result.exit_code == 2
        and "bundled: insider-exfiltration, leaked-cloud-key, ransomware-precursor" in result.output
    )


def test_the_scenario_alert_carries_its_record(tmp_path: Path) -> None:
    scenario = _small(tmp_path)
    a: ScenarioAlert = scenario.alerts[0]
    assert a.n == 1 and a.offset_s == 0 and a.record.location == "line 1" and a.alert.doc_id == "e-1"
