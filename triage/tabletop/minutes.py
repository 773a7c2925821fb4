"""The minutes of an exercise as data: what happened, worked out from its workspace's log alone.

Each alert is the domain fold (``triage.domain.state.AlertState``) of its events, so the
minutes apply the same rules as the queue and the evidence pack (the acknowledge target is met
by the first acknowledgement, or by the first close of an alert closed without one).

The score (0-100) is the sum of four parts, each the share achieved times its weight:

- dispositions (40): alerts closed with one of the dispositions the scenario expects for
  them, out of all alerts it expects one for (an alert left open counts as wrong);
- escalations (25): expected escalations made in time count 1, made late 1/2, missed 0;
- response (20): true-positive alerts acknowledged within their playbook's acknowledge
  target, out of all true-positive alerts;
- playbook discipline (15): true-positive alerts whose required playbook steps were all
  done (none overridden, none left open), out of all true-positive alerts.

A part with nothing to score (no expectations of its kind) earns its full weight.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from triage.clock import format_duration, parse_time
from triage.commands.suppressions import SUPPRESSION_ACTOR
from triage.domain import events as ev
from triage.domain.state import AlertState
from triage.errors import CommandRejected
from triage.store.workspace import KIND_EXERCISE, Workspace
from triage.tabletop.scenario import ScenarioSpec, format_offset

WEIGHTS = {"dispositions": 40.0, "escalations": 25.0, "response": 20.0, "discipline": 15.0}
SCORE_DEFINITION = (
    "Score = 40 × share of alerts closed with an expected disposition (open counts as wrong)"
    " + 25 × share of expected escalations made in time (late counts half)"
    " + 20 × share of true positives acknowledged within the playbook's target"
    " + 15 × share of true positives with every required playbook step done."
    " A part with nothing to score earns its full weight."
)
SYSTEM_ACTORS = frozenset({"tabletop", SUPPRESSION_ACTOR})  # a rule's closes are its maker's work


def _at(ts: str | None) -> datetime | None:
    return parse_time(ts) if ts is not None else None


@dataclass
class AlertRecord:
    """One alert of the exercise: its folded state, the facts its expectations match on and
    the dispositions the scenario expects for it."""

    state: AlertState
    facts: dict[str, Any]
    expected: list[str] | None = None

    @property
    def id(self) -> int:
        return self.state.id

    @property
    def title(self) -> str:
        return self.state.title

    @property
    def severity(self) -> str:
        return self.state.severity

    @property
    def ingested_at(self) -> datetime:
        return parse_time(self.state.ingested_at)

    @property
    def playbook(self) -> str | None:
        return self.state.playbook_id

    @property
    def ack_within(self) -> float | None:
        due = _at(self.state.ack_due)
        return (due - self.ingested_at).total_seconds() if due is not None else None

    @property
    def acknowledged_at(self) -> datetime | None:
        return _at(self.state.acknowledged_at)

    @property
    def acknowledged_by(self) -> str | None:
        return self.state.acknowledged_by

    @property
    def closed_at(self) -> datetime | None:
        """The first close."""
        return _at(self.state.first_closed_at)

    @property
    def closed(self) -> bool:
        return self.state.is_closed

    @property
    def disposition(self) -> str | None:
        """As it stands at the end."""
        return self.state.disposition

    @property
    def overridden(self) -> list[str]:
        return self.state.overridden_steps

    @property
    def override_reason(self) -> str | None:
        return self.state.override_reason

    @property
    def escalated_at(self) -> datetime | None:
        return _at(self.state.first_incident_at)

    @property
    def ack_s(self) -> float | None:
        return (self.acknowledged_at - self.ingested_at).total_seconds() if self.acknowledged_at else None

    @property
    def close_s(self) -> float | None:
        return (self.closed_at - self.ingested_at).total_seconds() if self.closed_at else None

    @property
    def true_positive(self) -> bool:
        return self.expected == ["true_positive"]

    @property
    def disposition_ok(self) -> bool | None:
        if self.expected is None:
            return None
        return self.closed and self.disposition in self.expected

    @property
    def ack_in_time(self) -> bool:
        """Responded to (acknowledged, or closed without an acknowledgement) within the target."""
        if self.state.responded_at is None:
            return False
        return self.state.ack_target(self.ingested_at) in (None, "met")

    @property
    def steps_missing(self) -> list[str]:
        return self.state.open_steps


@dataclass
class EscalationResult:
    name: str
    rule: str
    within_s: float | None
    first_alert_at: datetime | None
    escalated_at: datetime | None
    alerts: list[int]

    @property
    def delay_s(self) -> float | None:
        if self.escalated_at is None or self.first_alert_at is None:
            return None
        return (self.escalated_at - self.first_alert_at).total_seconds()

    @property
    def status(self) -> str:
        if self.escalated_at is None:
            return "missed"
        if self.within_s is not None and (self.delay_s or 0.0) > self.within_s:
            return "late"
        return "met"


@dataclass
class Minutes:
    exercise: str
    spec: ScenarioSpec
    started_at: datetime
    ended_at: datetime
    stopped: bool
    speed: float
    target: str | None
    participants: dict[str, list[str]]  # actor -> roles
    roles: dict[str, list[str]]  # role -> actors
    alerts: list[AlertRecord]
    escalations: list[EscalationResult]
    timeline: list[tuple[datetime, str, str]]  # when, who, what
    injects: list[tuple[datetime, str, str]]  # when shown, label, text
    skipped_records: list[str]
    parts: dict[str, tuple[float, int, float]]  # part -> (achieved, out of, points)
    score: float
    improve: list[str]
    suppressions: list[dict[str, Any]] = field(default_factory=list)  # rules made during the exercise

    def offset(self, when: datetime) -> str:
        return format_offset((when - self.started_at).total_seconds())


def _dur(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def build(ws: Workspace) -> Minutes:
    """Read the exercise workspace's log and work out the minutes."""
    if ws.kind != KIND_EXERCISE or not ws.exercise:
        raise CommandRejected(f"{ws.display} is not an exercise workspace (made by `triage tabletop run`)")
    started: dict[str, Any] | None = None
    started_at = ended_at = None
    stopped = False
    alerts: dict[int, AlertRecord] = {}
    timeline: list[tuple[datetime, str, str]] = []
    injects: list[tuple[datetime, str, str]] = []
    actors: set[str] = set()
    rules: dict[int, dict[str, Any]] = {}
    last_ts: datetime | None = None
    for e in ws.events():
        when = parse_time(e.ts)
        last_ts = when
        p = e.payload
        kind, _, ident = e.target.partition(":")
        if e.action == ev.EXERCISE_STARTED:
            started, started_at = p, when
            timeline.append((when, e.actor, f"exercise started: {p['scenario']['spec']['title']}"))
            continue
        if e.action == ev.EXERCISE_INJECT:
            injects.append((when, str(p["at"]), str(p["text"])))
            timeline.append((when, "inject", f"{p['at']}: {p['text']}"))
            continue
        if e.action == ev.EXERCISE_ENDED:
            ended_at, stopped = when, bool(p.get("stopped"))
            state = "stopped early" if stopped else "replay complete"
            timeline.append((when, e.actor, f"exercise ended ({state}; {p.get('alerts')} alerts replayed)"))
            continue
        if e.action in ev.ANALYST_ACTIONS and e.actor not in SYSTEM_ACTORS:
            actors.add(e.actor)
        if kind == "incident":
            timeline.append((when, e.actor, f"incident {ident} {ev.describe_minutes(e.action, p)}"))
            continue
        if kind == "suppression":
            _suppression(rules, int(ident), e.action, e.actor, when, p)
            timeline.append((when, e.actor, f"suppression {ident}: {ev.describe_minutes(e.action, p)}"))
            continue
        if kind != "alert":
            continue
        alert_id = int(ident)
        if e.action == ev.ALERT_INGESTED:
            a = p["alert"]
            alerts[alert_id] = AlertRecord(
                AlertState.ingested(e),
                facts={
                    k: a.get(k) for k in ("doc_id", "rule_name", "title", "host", "user", "src_ip", "profile")
                },
            )
            timeline.append((when, "alert", f"alert {alert_id} arrived: [{a['severity']}] {a['title']}"))
            continue
        rec = alerts.get(alert_id)
        if rec is None:
            continue
        timeline.append((when, e.actor, f"alert {alert_id} {ev.describe_minutes(e.action, p)}"))
        rec.state.apply(e)
        if e.action == ev.ALERT_CLOSED and p.get("suppression") in rules:
            rules[p["suppression"]]["closed"] += 1
    if started is None or started_at is None:
        raise CommandRejected(f"{ws.display}: the exercise never started (no exercise.started event)")
    spec = ScenarioSpec.model_validate(started["scenario"]["spec"])
    for rec in alerts.values():
        expected, _ = spec.expected_for(rec.facts)
        rec.expected = [d.value for d in expected] if expected is not None else None
    escalations = []
    for esc in spec.escalations:
        matching = [r for r in alerts.values() if esc.match.matches(r.facts)]
        escalated = [r.escalated_at for r in matching if r.escalated_at is not None]
        escalations.append(
            EscalationResult(
                name=esc.name,
                rule=esc.match.describe(),
                within_s=esc.within.total_seconds() if esc.within else None,
                first_alert_at=min((r.ingested_at for r in matching), default=None),
                escalated_at=min(escalated, default=None),
                alerts=[r.id for r in matching],
            )
        )
    participants: dict[str, str] = started.get("participants") or {}
    roles: dict[str, list[str]] = {r.role: [] for r in spec.roles}
    by_actor: dict[str, list[str]] = {a: [] for a in sorted(actors | set(participants))}
    for who, role in participants.items():
        roles.setdefault(role, []).append(who)
        by_actor[who].append(role)
    records = sorted(alerts.values(), key=lambda r: r.id)
    parts, score = _score(records, escalations)
    minutes = Minutes(
        exercise=ws.exercise,
        spec=spec,
        started_at=started_at,
        ended_at=ended_at or last_ts or started_at,
        stopped=stopped,
        speed=float(started.get("speed", 1.0)),
        target=started.get("target"),
        participants=by_actor,
        roles=roles,
        alerts=records,
        escalations=escalations,
        timeline=timeline,
        injects=injects,
        skipped_records=list(started["scenario"].get("skipped") or []),
        parts=parts,
        score=score,
        improve=[],
    )
    minutes.improve = _improvements(minutes)
    minutes.suppressions = [rules[k] for k in sorted(rules)]
    return minutes


def _suppression(
    rules: dict[int, dict[str, Any]], rule: int, action: str, actor: str, when: datetime, p: dict[str, Any]
) -> None:
    """A suppression rule made, changed or ended during the exercise (each is in the minutes)."""
    if action == ev.SUPPRESSION_CREATED:
        rules[rule] = {"id": rule, "by": actor, "at": when, "query": p["query"], "reason": p["reason"],
                       "expires_at": p["expires_at"], "ended_at": None, "closed": 0}  # fmt: skip
    elif rule in rules and action == ev.SUPPRESSION_ENDED:
        rules[rule]["ended_at"] = when
    elif rule in rules and action == ev.SUPPRESSION_CHANGED and "expires_at" in p["changes"]:
        rules[rule]["expires_at"] = p["changes"]["expires_at"]


def _score(
    alerts: list[AlertRecord], escalations: list[EscalationResult]
) -> tuple[dict[str, tuple[float, int, float]], float]:
    judged = [a for a in alerts if a.expected is not None]
    tps = [a for a in alerts if a.true_positive]
    achieved = {
        "dispositions": (float(sum(bool(a.disposition_ok) for a in judged)), len(judged)),
        "escalations": (
            sum({"met": 1.0, "late": 0.5, "missed": 0.0}[e.status] for e in escalations),
            len(escalations),
        ),
        "response": (float(sum(a.ack_in_time for a in tps)), len(tps)),
        "discipline": (float(sum(not a.steps_missing and not a.overridden for a in tps)), len(tps)),
    }
    parts = {}
    for name, (got, out_of) in achieved.items():
        points = WEIGHTS[name] * (got / out_of if out_of else 1.0)
        parts[name] = (got, out_of, points)
    return parts, round(sum(p for _, _, p in parts.values()), 1)


def _improvements(m: Minutes) -> list[str]:
    out = []
    for e in m.escalations:
        if e.status == "missed":
            out.append(f"Escalate when the evidence is there: “{e.name}” was never escalated ({e.rule}).")
        elif e.status == "late":
            out.append(
                f"Escalate sooner: “{e.name}” took {_dur(e.delay_s)} after the first alert,"
                f" the target is {_dur(e.within_s)}."
            )
    wrong = [a for a in m.alerts if a.expected is not None and a.closed and not a.disposition_ok]
    if wrong:
        ids = ", ".join(str(a.id) for a in wrong[:10])
        out.append(
            f"Review the dispositions of {len(wrong)} alerts closed differently than expected (alerts {ids})."
        )
    open_judged = [a for a in m.alerts if a.expected is not None and not a.closed]
    open_tp = [a for a in open_judged if a.true_positive]
    if open_tp:
        out.append(
            f"{len(open_tp)} true-positive alerts were still open at the end: work the real threats first."
        )
    if len(open_judged) > len(open_tp):
        out.append(
            f"{len(open_judged) - len(open_tp)} noise alerts were left open: close known-benign noise quickly"
            " so it does not hide the attack."
        )
    slow = [a for a in m.alerts if a.true_positive and not a.ack_in_time]
    if slow:
        out.append(
            f"Acknowledge true positives within the playbook target: {len(slow)} were late"
            " or never acknowledged."
        )
    skipped: dict[str, int] = {}
    for a in m.alerts:
        if a.true_positive:
            for step in a.overridden or a.steps_missing:
                skipped[step] = skipped.get(step, 0) + 1
    if skipped:
        steps = ", ".join(f"{s} ({n}×)" for s, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(f"Follow the playbooks on true positives; required steps skipped or overridden: {steps}.")
    if not out:
        out.append(
            "Nothing significant: every expectation was met. Raise the difficulty next time (higher speed)."
        )
    return out
