"""The one model of the log: the event catalogue and the pure state machine.

The stateful test drives random command sequences through the command layer and checks after
every step that the SQL projection, a rebuild and the evidence replay all equal the fold of
each alert's and incident's own events (``triage.domain.state``), computed here from the log.
"""

from __future__ import annotations

import contextlib
import json
import re
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.conftest import PG_MISSING, PG_URL, PLAYBOOKS, Cli, drop_pg_schema, ingest_one, make_alert
from triage.clock import format_ts, parse_time
from triage.commands import Commands
from triage.domain import events as ev
from triage.domain.state import ALERT_COLUMNS, AlertState, Fact, IncidentState, TargetState
from triage.domain.suppression import SuppressionState
from triage.errors import CommandRejected, Conflict, NotFound
from triage.evidence import pack
from triage.evidence.replay import alert_as_of, incident_as_of
from triage.playbooks import PlaybookSet
from triage.store import projection
from triage.store.chain import canonical_with, chain_hash
from triage.store.workspace import Workspace

ROOT = Path(__file__).resolve().parent.parent

# -- the catalogue -----------------------------------------------------------------------


def test_the_catalogue_names_every_action_the_projection_handles() -> None:
    assert len(ev.CATALOGUE) == 27
    for name, model in ev.CATALOGUE.items():
        assert name == model.NAME and model.VERSION >= 1
        assert isinstance(model.CHANGES, ev.Changes)


def test_action_names_are_literals_only_in_the_catalogue() -> None:
    spelled = re.compile("|".join(rf"[\"']{re.escape(n)}[\"']" for n in ev.CATALOGUE))
    offenders = []
    assert pack.SIGNOFF_ACTION == ev.EVIDENCE_SIGNED
    for path in sorted((ROOT / "triage").rglob("*.py")):
        if "domain/events" in path.as_posix():
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if spelled.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert offenders == []


@pytest.mark.parametrize(
    ("action", "target", "payload", "match"),
    [
        ("alert.deleted", "alert:1", {}, "unknown action"),
        ("alert.noted", "alert:1", {}, "text"),
        ("alert.noted", "alert:1", {"text": "hi", "sneaky": 1}, "sneaky"),
        ("alert.noted", "incident:1", {"text": "hi"}, "not of the form alert:<id>"),
        ("alert.noted", "alert:x", {"text": "hi"}, "numeric"),
        ("alert.escalated", "alert:1", {"incident": "one"}, "incident"),
        ("incident.updated", "incident:1", {"changes": {"colour": "red"}}, "unknown fields"),
        ("incident.noted", "incident:1", {}, "text"),
        ("incident.noted", "alert:1", {"text": "hi"}, "not of the form incident:<id>"),
        ("source.polled", "source:es", {"ingested": 1}, "present"),
    ],
)
def test_writing_an_event_that_does_not_fit_is_refused(
    ws: Workspace, cmds: Commands, action: str, target: str, payload: dict[str, Any], match: str
) -> None:
    ingest_one(cmds)
    before = ws.head()
    with pytest.raises(ev.InvalidEvent, match=match), ws.write() as w:
        w.append("mallory", action, target, payload)
    assert ws.head() == before


def test_descriptions_keep_their_wording() -> None:
    closed = {"disposition": "false_positive", "reason": "noise", "override": None}
    override = {"justification": "tested", "open_steps": ["contain", "scope"]}
    assert ev.describe(ev.ALERT_CLOSED, closed) == "closed as false_positive: noise"
    assert ev.describe(ev.ALERT_CLOSED, {**closed, "override": override}) == (
        "closed as false_positive: noise [OVERRIDE, open steps contain, scope: tested]"
    )
    assert ev.describe_minutes(ev.ALERT_CLOSED, {**closed, "override": override}) == (
        "closed as false_positive: noise; steps overridden: contain, scope (tested)"
    )
    step = {"step": "scope", "note": "two hosts"}
    assert ev.describe(ev.ALERT_STEP_COMPLETED, step) == "completed step scope: two hosts"
    assert ev.describe_minutes(ev.ALERT_STEP_COMPLETED, step) == "step scope done (two hosts)"
    sev = {"from": "high", "to": "low", "reason": "lab"}
    assert ev.describe(ev.ALERT_SEVERITY_CHANGED, sev) == "severity high -> low: lab"
    assert ev.describe(ev.SOURCE_POLLED, {"ingested": 1, "present": 0, "quarantined": 0}) == "source.polled"
    assert ev.describe("alert.unheard_of", {}) == "alert.unheard_of"


def _forge(ws: Workspace, action: str, target: str, payload: dict[str, Any]) -> None:
    """Append an event the way an earlier version of triage wrote it (no validation)."""
    seq, head = ws.head()
    env = {"action": action, "actor": "old", "exercise": None, "seq": seq + 1, "target": target,
           "ts": "2026-10-01T00:00:00.000000Z", "v": 1}  # fmt: skip
    body = canonical_with(env, "payload", json.dumps(payload, sort_keys=True))
    with ws.write():
        ws.conn.execute(
            "INSERT INTO events (seq, ts, action, target, body, prev_hash, hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq + 1, env["ts"], action, target, body, head, chain_hash(head, body)),
        )


def test_earlier_payload_versions_are_read(ws: Workspace, cmds: Commands) -> None:
    alert = make_alert()
    # an ingest before payloads carried their digest, a page that counted "duplicates"
    _forge(ws, ev.ALERT_INGESTED, "alert:1", {"dedup_key": "k/1", "alert": alert.model_dump(mode="json")})
    old_page = {"cursor_ms": 5, "ingested": 1, "duplicates": 3, "quarantined": 0}
    _forge(ws, ev.SOURCE_POLLED, "source:es", old_page)
    assert ev.read(ev.SOURCE_POLLED, old_page).model_dump()["present"] == 3
    ws.rebuild()
    row = ws.conn.execute("SELECT content_digest FROM alerts WHERE id = 1").fetchone()
    assert row[0].startswith("sha256:")
    assert ws.conn.execute("SELECT duplicates FROM source_cursors").fetchone()[0] == 3
    assert ws.rebuild(dry_run=True)[1]
    cmds.note(1, "still works")
    assert ws.rebuild(dry_run=True)[1]


# -- the state machine's rules -------------------------------------------------------------


def _fact(seq: int, action: str, payload: dict[str, Any], minutes: int, **kw: Any) -> Fact:
    ts = format_ts(parse_time("2026-10-01T10:00:00Z") + timedelta(minutes=minutes))
    return Fact(seq, ts, kw.get("actor", "alice"), action, "alert:1", kw.get("exercise"), payload)


def _ingest(ack_within: int = 600) -> Fact:
    playbook = {"id": "pb", "version": 1, "steps": ["a", "b"], "required": ["a", "b"],
                "ack_within": ack_within, "close_within": 3600}  # fmt: skip
    alert = make_alert().model_dump(mode="json")
    return _fact(1, ev.ALERT_INGESTED, {"dedup_key": "k", "alert": alert, "playbook": playbook}, 0)


def test_the_first_close_counts_as_the_acknowledgement() -> None:
    closed = {"disposition": "false_positive", "reason": "noise", "override": None}
    early = AlertState.fold([_ingest(), _fact(2, ev.ALERT_CLOSED, closed, 5)])
    late = AlertState.fold([_ingest(), _fact(2, ev.ALERT_CLOSED, closed, 15)])
    assert early is not None and late is not None
    now = parse_time("2026-10-02T00:00:00Z")
    assert early.acknowledged_at is None
    assert early.ack_target(now) is TargetState.MET
    assert late.ack_target(now) is TargetState.BREACHED
    # reopened, it stays answered by that first close; acknowledged later changes nothing
    reopened = AlertState.fold(
        [_ingest(), _fact(2, ev.ALERT_CLOSED, closed, 5), _fact(3, ev.ALERT_REOPENED, {"reason": "r"}, 20),
         _fact(4, ev.ALERT_ACKNOWLEDGED, {}, 30)]
    )  # fmt: skip
    assert reopened is not None and reopened.status == "acknowledged"
    assert reopened.ack_target(now) is TargetState.MET and reopened.close_target(now) is TargetState.BREACHED
    pending = AlertState.fold([_ingest()])
    assert (
        pending is not None and pending.ack_target(parse_time("2026-10-01T10:01:00Z")) is TargetState.PENDING
    )


def test_required_steps_and_exercise_events_in_figures() -> None:
    events = [_ingest(), _fact(2, ev.ALERT_STEP_COMPLETED, {"step": "b"}, 1)]
    marked = _fact(3, ev.ALERT_STEP_COMPLETED, {"step": "a"}, 2, exercise="tt")
    live = AlertState.fold([*events, marked])
    figures = AlertState.fold([*events, marked], figures=True)
    assert live is not None and figures is not None
    assert live.open_steps == [] and figures.open_steps == ["a"]
    assert figures.required_done == 1


def test_show_counts_a_close_without_acknowledgement(cli: Cli, playbooks: PlaybookSet) -> None:
    with Workspace.create(cli.db) as ws:
        cmds = Commands(ws, playbooks, "alice")
        alert_id = ingest_one(cmds)
        row = ws.conn.execute(
            "SELECT ack_due, required_steps FROM alerts WHERE id = ?", (alert_id,)
        ).fetchone()
        assert row[0] is not None, "the test needs a playbook with targets"
        cmds.close(alert_id, "false_positive", "noise", override="known test host")
    out = cli("show", str(alert_id))
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if "ack target" in x)
    assert line.split(": ", 1)[1] == "met"


# -- the oracle: random command sequences against the fold -------------------------------------

_PLAYBOOKS = PlaybookSet.from_directory(PLAYBOOKS)
_RULES = ["SSH Brute Force", "Malware Detected", "Weird thing", "Phishing link clicked"]
_SEVERITIES = ["critical", "high", "medium", "low", "informational"]
_ANALYSTS = ["alice", "bob", "carol"]
_REFUSED = (CommandRejected, NotFound, Conflict)


class LogModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = tempfile.TemporaryDirectory()
        self.ws = Workspace.create(self.location())
        self.alerts: list[int] = []
        self.docs: list[str] = []
        # the test's own model of what each command does, independent of triage.domain.state
        self.expected: dict[int, dict[str, Any]] = {}
        self.rule_of: dict[int, str] = {}  # alert -> its rule name
        self.suppressing: dict[int, str] = {}  # active suppression rule -> the rule name it matches
        self.incidents: dict[int, dict[str, Any]] = {}  # incident -> its notes and description

    def location(self) -> str | Path:
        return Path(self.dir.name) / "ws.db"

    def teardown(self) -> None:
        self.ws.close()
        self.dir.cleanup()

    def c(self, who: int) -> Commands:
        return Commands(self.ws, _PLAYBOOKS, _ANALYSTS[who % len(_ANALYSTS)])

    def _try(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        with contextlib.suppress(*_REFUSED):
            return fn(*args, **kwargs)
        return None

    def _new(self, ids: list[int], rule: str) -> None:
        for alert_id in ids:
            self.alerts.append(alert_id)
            self.rule_of[alert_id] = rule
            # a rule in force closes it as it arrives
            status = "closed" if rule in self.suppressing.values() else "new"
            self.expected[alert_id] = {"status": status, "acked": False, "assignee": None, "incident": None,
                                       "notes": 0, "reopened": 0, "steps": [],
                                       "duplicate_of": None}  # fmt: skip

    def _alert(self, i: int) -> int:
        return self.alerts[i % len(self.alerts)]

    def _incident(self, i: int) -> int:
        n = self.ws.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
        return i % (n + 1) + 1  # sometimes one that does not exist

    @rule(rule=st.sampled_from(_RULES), severity=st.sampled_from(_SEVERITIES), who=st.integers(0, 2))
    def ingest(self, rule: str, severity: str, who: int) -> None:
        alert = make_alert(rule_name=rule, title=rule, severity=severity)
        result = self.c(who).ingest([alert])
        self._new(result.alert_ids, rule)
        self.docs.append(alert.doc_id or "")

    @precondition(lambda self: self.docs)
    @rule(i=st.integers(0, 100))
    def ingest_same_key_other_content(self, i: int) -> None:
        result = self.c(0).ingest([make_alert(doc_id=self.docs[i % len(self.docs)])])
        self._new(result.alert_ids, "SSH Brute Force")

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), who=st.integers(0, 2), to=st.integers(0, 2))
    def assign(self, i: int, who: int, to: int) -> None:
        if self._try(self.c(who).assign, self._alert(i), _ANALYSTS[to]):
            self.expected[self._alert(i)]["assignee"] = _ANALYSTS[to]

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), who=st.integers(0, 2))
    def acknowledge(self, i: int, who: int) -> None:
        if self._try(self.c(who).acknowledge, self._alert(i)):
            x = self.expected[self._alert(i)]
            x["status"], x["acked"] = "acknowledged", True
            x["assignee"] = x["assignee"] or _ANALYSTS[who]

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), who=st.integers(0, 2), text=st.text(min_size=1, max_size=20))
    def note(self, i: int, who: int, text: str) -> None:
        if self._try(self.c(who).note, self._alert(i), text):
            self.expected[self._alert(i)]["notes"] += 1

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), k=st.integers(0, 20), with_note=st.booleans())
    def step(self, i: int, k: int, with_note: bool) -> None:
        alert_id = self._alert(i)
        steps = json.loads(
            self.ws.conn.execute("SELECT playbook_steps FROM alerts WHERE id = ?", (alert_id,)).fetchone()[0]
        )
        step = steps[k % len(steps)] if steps else "no-such-step"
        if self._try(self.c(0).complete_step, alert_id, step, note="done" if with_note else None):
            self.expected[alert_id]["steps"].append(step)

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), severity=st.sampled_from(_SEVERITIES))
    def severity(self, i: int, severity: str) -> None:
        self._try(self.c(1).change_severity, self._alert(i), severity, "re-rated")

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), j=st.integers(0, 10), new=st.booleans())
    def escalate(self, i: int, j: int, new: bool) -> None:
        incident = None if new else self._incident(j)
        e = self._try(self.c(2).escalate, self._alert(i), incident_id=incident, title="Incident")
        if e:
            self.expected[self._alert(i)]["incident"] = e.payload["incident"]

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), j=st.integers(0, 10))
    def link(self, i: int, j: int) -> None:
        if self._try(self.c(0).link, self._alert(i), self._incident(j)):
            self.expected[self._alert(i)]["incident"] = self._incident(j)

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100))
    def unlink(self, i: int) -> None:
        if self._try(self.c(0).unlink, self._alert(i)):
            self.expected[self._alert(i)]["incident"] = None

    @precondition(lambda self: self.alerts)
    @rule(
        i=st.integers(0, 100),
        disposition=st.sampled_from(["true_positive", "false_positive", "duplicate"]),
        override=st.sampled_from([None, "", "approved by the lead"]),
        of=st.one_of(st.none(), st.integers(0, 100)),
    )
    def close(self, i: int, disposition: str, override: str | None, of: int | None) -> None:
        alert_id = self._alert(i)
        original = None if of is None else self._alert(of)
        x = self.expected[alert_id]
        done = self._try(
            self.c(1).close, alert_id, disposition, "looked at it", override=override, duplicate_of=original
        )
        # the model's own rule: only a duplicate names an original, never itself; it needs no
        # override for open required steps
        names = original is not None
        if names and (disposition != "duplicate" or original == alert_id):
            assert done is None
        elif names and x["status"] != "closed":
            assert done is not None
        if done:
            x["status"], x["duplicate_of"] = "closed", original

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100))
    def reopen(self, i: int) -> None:
        if self._try(self.c(2).reopen, self._alert(i), "new evidence"):
            x = self.expected[self._alert(i)]
            x["status"] = "acknowledged" if x["acked"] else "new"
            x["reopened"] += 1
            x["duplicate_of"] = None

    @rule(
        j=st.integers(0, 10),
        status=st.sampled_from([None, "open", "closed"]),
        owner=st.sampled_from([None, "bob"]),
        severity=st.sampled_from([None, "low", "critical"]),
        title=st.sampled_from([None, "Renamed"]),
        description=st.sampled_from([None, "Spray from one /24.\nBlocked at the VPN."]),
    )
    def update_incident(
        self,
        j: int,
        status: str | None,
        owner: str | None,
        severity: str | None,
        title: str | None,
        description: str | None,
    ) -> None:
        incident = self._incident(j)
        if (
            self._try(
                self.c(0).update_incident,
                incident,
                status=status,
                owner=owner,
                severity=severity,
                title=title,
                description=description,
                reason="review",
            )
            and description is not None
        ):
            self.incidents.setdefault(incident, {"notes": 0, "description": None})["description"] = (
                description
            )

    @rule(j=st.integers(0, 10), who=st.integers(0, 2), text=st.text(min_size=1, max_size=20))
    def note_incident(self, j: int, who: int, text: str) -> None:
        incident = self._incident(j)
        if self._try(self.c(who).note_incident, incident, text):
            self.incidents.setdefault(incident, {"notes": 0, "description": None})["notes"] += 1

    @precondition(lambda self: self.alerts)
    @rule(i=st.integers(0, 100), status=st.sampled_from(["open", "acknowledged", "closed"]))
    def source_update(self, i: int, status: str) -> None:
        self._try(self.c(0).record_source_update, self._alert(i), status)

    @rule(rule=st.sampled_from(_RULES), who=st.integers(0, 2), to_open=st.booleans())
    def suppress(self, rule: str, who: int, to_open: bool) -> None:
        made = self.c(who).add_suppression(
            f'rule:"{rule}"', "known noise from the lab network", timedelta(days=14), apply_to_open=to_open
        )
        self.suppressing[int(made.event.target.partition(":")[2])] = rule
        expected_closed = [a for a, x in self.expected.items() if to_open and x["status"] != "closed"
                           and self.rule_of[a] == rule]  # fmt: skip
        assert made.closed == expected_closed
        for alert_id in made.closed:
            self.expected[alert_id]["status"] = "closed"

    @precondition(lambda self: self.suppressing)
    @rule(i=st.integers(0, 100))
    def end_suppression(self, i: int) -> None:
        rules = sorted(self.suppressing)
        rule_id = rules[i % len(rules)]
        self.c(0).end_suppression(rule_id, "the lab network was retired")
        del self.suppressing[rule_id]

    @invariant()
    def suppressions_equal_their_fold(self) -> None:
        cur = self.ws.conn.execute("SELECT * FROM suppressions ORDER BY id")
        names = [d[0] for d in cur.description]
        for row in (dict(zip(names, r, strict=True)) for r in cur.fetchall()):
            folded = SuppressionState.fold(self.ws.events(ref=f"suppression:{row['id']}"))
            assert folded is not None and folded.row() == dict(row)
            closed = self.ws.conn.execute(
                "SELECT count(*) FROM alerts WHERE disposition = 'suppressed' AND close_reason LIKE ?",
                (f"suppression {row['id']}: %",),
            ).fetchone()[0]
            assert row["alerts_closed"] >= closed  # a reopened one was closed by it all the same

    @invariant()
    def projection_equals_the_fold(self) -> None:
        conn = self.ws.conn
        head, _ = self.ws.head()
        cols = ", ".join(ALERT_COLUMNS)
        for row in conn.execute(f"SELECT {cols} FROM alerts ORDER BY id").fetchall():
            stored = dict(zip(ALERT_COLUMNS, row, strict=True))
            alert_id = stored["id"]
            folded = AlertState.fold(self.ws.events(ref=f"alert:{alert_id}"))
            assert folded is not None
            assert folded.row() == stored
            as_of = alert_as_of(conn, alert_id, head)
            assert as_of is not None and as_of.row() == stored
        cur = conn.execute("SELECT * FROM incidents ORDER BY id")
        names = [d[0] for d in cur.description]
        for row in (dict(zip(names, r, strict=True)) for r in cur.fetchall()):
            folded_incident = IncidentState.fold(self.ws.events(ref=f"incident:{row['id']}"))
            assert folded_incident is not None and folded_incident.row() == dict(row)
            replayed = incident_as_of(conn, row["id"], head)
            assert replayed is not None and replayed.row() == dict(row)
            members = [
                r[0] for r in conn.execute("SELECT id FROM alerts WHERE incident_id = ?", (row["id"],))
            ]
            # an alert escalated on to another incident leaves this one (the escalation is on
            # both timelines): the replay lists exactly the members
            assert sorted(members) == sorted(replayed.alerts)

    @invariant()
    def commands_did_what_they_say(self) -> None:
        for alert_id, x in self.expected.items():
            row = self.ws.conn.execute(
                "SELECT status, assignee, incident_id, notes, reopened, steps_done, duplicate_of FROM alerts"
                " WHERE id = ?",
                (alert_id,),
            ).fetchone()
            got = (*row[:5], json.loads(row[5]), row[6])
            assert got == (
                x["status"], x["assignee"], x["incident"], x["notes"], x["reopened"], x["steps"],
                x["duplicate_of"],
            )  # fmt: skip
        for incident_id, y in self.incidents.items():
            got_incident = self.ws.conn.execute(
                "SELECT notes, description FROM incidents WHERE id = ?", (incident_id,)
            ).fetchone()
            assert got_incident == (y["notes"], y["description"])

    @invariant()
    def rebuild_is_identical(self) -> None:
        _, same = self.ws.rebuild(dry_run=True)
        assert same
        # replayed a few events at a time: runs of alert events cut at every boundary
        whole, projection.REPLAY_BATCH = projection.REPLAY_BATCH, 3
        try:
            _, same = self.ws.rebuild(dry_run=True)
        finally:
            projection.REPLAY_BATCH = whole
        assert same


LogModel.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_command_sequences_match_the_fold = LogModel.TestCase


class LogModelOnPostgres(LogModel):
    """The same oracle on a PostgreSQL workspace (a schema of its own per example)."""

    def location(self) -> str | Path:
        if not PG_URL:
            pytest.skip(PG_MISSING)
        self.schema_url = f"{PG_URL}?schema=m_{uuid.uuid4().hex[:12]}"
        return self.schema_url

    def teardown(self) -> None:
        super().teardown()
        drop_pg_schema(self.schema_url)


LogModelOnPostgres.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_random_command_sequences_match_the_fold_on_postgresql = LogModelOnPostgres.TestCase


def test_an_alert_escalated_on_leaves_its_previous_incident(tmp_path: Path) -> None:
    from triage.evidence.replay import incident_as_of
    from triage.playbooks import PlaybookSet
    from triage.store.workspace import Workspace

    ws = Workspace.create(tmp_path / "ws.db")
    cmds = Commands(ws, PlaybookSet.from_directory(PLAYBOOKS), "alice")
    a, b = ingest_one(cmds), ingest_one(cmds)
    cmds.escalate(a, title="First")
    cmds.escalate(b, incident_id=1)
    moved = cmds.escalate(a, title="Second")  # incident 2, from incident 1
    head = ws.head()[0]
    first = incident_as_of(ws.conn, 1, head)
    assert first is not None and first.alerts == [b]
    assert [e.seq for e in ws.events(ref="incident:1")][-1] == moved.seq
    # a workspace from before: no timeline entry on the incident left, an older last_seq
    with ws.write_telemetry() as conn:
        conn.execute("DELETE FROM timeline WHERE ref = 'incident:1' AND seq = ?", (moved.seq,))
        conn.execute("UPDATE incidents SET last_seq = ?, updated_at = '' WHERE id = 1", (moved.seq - 1,))
        conn.execute(f"DELETE FROM {ws.migrations_table} WHERE name LIKE 'm006%'")
    ws.close()
    with Workspace.open(ws.location) as again:
        assert again.rebuild(dry_run=True)[1]
        first = incident_as_of(again.conn, 1, head)
        assert first is not None and first.alerts == [b]


def test_a_run_of_events_naming_one_alert_in_several_spellings_folds_as_one_by_one(
    ws: Workspace, cmds: Commands
) -> None:
    """``alert:1`` and ``alert:01`` are the same alert: the batched fold of a rebuild reads its
    row once for both and changes it as appending them one by one did."""
    alert = cmds.ingest([make_alert()]).alert_ids[0]
    with ws.write() as w:
        for target in (f"alert:{alert}", f"alert:0{alert}", f"alert:00{alert}", f"alert:{alert}"):
            w.append("alice", ev.ALERT_NOTED, target, {"text": "seen"})
    assert ws.conn.execute("SELECT notes FROM alerts WHERE id = ?", (alert,)).fetchone()[0] == 4
    _, same = ws.rebuild(dry_run=True)
    assert same


_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(ev.CATALOGUE)), st.data())
def test_a_payload_fits_its_fields_validator_as_it_fits_its_model(action: str, data: st.DataObject) -> None:
    """``validate`` checks a payload with the validator of the model's fields, which makes no
    model: it accepts and refuses what the model accepts and refuses, with the same errors."""
    from pydantic import ValidationError

    model = ev.CATALOGUE[action]
    names = sorted({*model.model_fields, *(f.alias for f in model.model_fields.values() if f.alias)})
    keys = st.sampled_from(names) | st.text(max_size=6) if names else st.text(max_size=6)
    payload = data.draw(st.dictionaries(keys, _VALUES, max_size=len(names) + 1))

    def outcome(fn: Any) -> Any:
        try:
            fn(payload)
        except ValidationError as exc:
            return [(e["type"], e["loc"]) for e in exc.errors()]
        return "ok"

    assert outcome(ev.fields_validator(model)) == outcome(model.model_validate)


def test_a_rebuild_of_a_log_with_a_gap_puts_each_event_on_its_own_targets_timeline(
    tmp_path: Path, playbooks: PlaybookSet
) -> None:
    """The batched fold copies a stretch of the log's own timeline rows from the log with one
    statement: a log an editor cut (a number missing) gets exactly its events' rows, and a
    rebuild of it does not fail."""
    ws = Workspace.create(tmp_path / "ws.db")
    cmds = Commands(ws, playbooks, "alice")
    alert = cmds.ingest([make_alert()]).alert_ids[0]
    for text in ("one", "two", "three"):
        cmds.note(alert, text)
    cut = ws.head()[0] - 1  # the second note
    ws.conn.execute("DROP TRIGGER events_no_delete")
    ws.conn.execute("DELETE FROM events WHERE seq = ?", (cut,))
    ws.rebuild()
    refs = ws.conn.execute("SELECT ref, seq FROM timeline ORDER BY seq").fetchall()
    events = ws.conn.execute("SELECT target, seq FROM events ORDER BY seq").fetchall()
    ws.close()
    assert refs == events and all(seq != cut for _, seq in refs)
