"""After-action minutes of an exercise, written from its workspace's log alone.

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

import hashlib
import html
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from triage.clock import format_duration, parse_time
from triage.errors import CommandRejected
from triage.store.workspace import KIND_EXERCISE, Workspace
from triage.tabletop.scenario import ScenarioSpec, format_offset
from triage.text import printable

WEIGHTS = {"dispositions": 40.0, "escalations": 25.0, "response": 20.0, "discipline": 15.0}
SCORE_DEFINITION = (
    "Score = 40 × share of alerts closed with an expected disposition (open counts as wrong)"
    " + 25 × share of expected escalations made in time (late counts half)"
    " + 20 × share of true positives acknowledged within the playbook's target"
    " + 15 × share of true positives with every required playbook step done."
    " A part with nothing to score earns its full weight."
)
SYSTEM_ACTORS = frozenset({"tabletop"})
ANALYST_ACTIONS = frozenset(
    {
        "alert.assigned",
        "alert.acknowledged",
        "alert.noted",
        "alert.step_completed",
        "alert.severity_changed",
        "alert.escalated",
        "alert.linked",
        "alert.unlinked",
        "alert.closed",
        "alert.reopened",
        "incident.updated",
    }
)


@dataclass
class AlertRecord:
    id: int
    title: str
    severity: str
    facts: dict[str, Any]
    ingested_at: datetime
    playbook: str | None
    required: list[str]
    ack_within: int | None
    close_within: int | None
    expected: list[str] | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    closed_at: datetime | None = None  # the first close
    disposition: str | None = None  # as it stands at the end
    closed: bool = False
    steps_done: list[str] = field(default_factory=list)
    overridden: list[str] = field(default_factory=list)
    override_reason: str | None = None
    escalated_at: datetime | None = None
    incident: int | None = None

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
        return self.ack_s is not None and (self.ack_within is None or self.ack_s <= self.ack_within)

    @property
    def steps_missing(self) -> list[str]:
        return [s for s in self.required if s not in self.steps_done]


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

    def offset(self, when: datetime) -> str:
        return format_offset((when - self.started_at).total_seconds())


def _dur(seconds: float | None) -> str:
    return "-" if seconds is None else format_duration(timedelta(seconds=round(seconds)))


def _describe(action: str, p: dict[str, Any]) -> str:
    match action:
        case "alert.assigned":
            return f"assigned to {p.get('assignee')}"
        case "alert.acknowledged":
            return "acknowledged"
        case "alert.noted":
            return f"note: {p.get('text', '')}"
        case "alert.step_completed":
            return f"step {p.get('step')} done" + (f" ({p['note']})" if p.get("note") else "")
        case "alert.severity_changed":
            return f"severity {p.get('from')} -> {p.get('to')}: {p.get('reason', '')}"
        case "alert.escalated":
            new = p.get("new_incident")
            return (
                f"escalated to new incident {p.get('incident')}: {new['title']}"
                if new
                else (f"escalated to incident {p.get('incident')}")
            )
        case "alert.linked":
            return f"linked to incident {p.get('incident')}"
        case "alert.unlinked":
            return f"unlinked from incident {p.get('incident')}"
        case "alert.closed":
            override = p.get("override")
            extra = (
                f"; steps overridden: {', '.join(override['open_steps'])} ({override['justification']})"
                if override
                else ""
            )
            return f"closed as {p.get('disposition')}: {p.get('reason', '')}{extra}"
        case "alert.reopened":
            return f"reopened: {p.get('reason', '')}"
        case "incident.updated":
            changes = ", ".join(f"{k}={v}" for k, v in (p.get("changes") or {}).items())
            return f"updated: {changes}"
    return action


def build(ws: Workspace) -> Minutes:
    """Read the exercise workspace's log and work out the minutes."""
    if ws.kind != KIND_EXERCISE or not ws.exercise:
        raise CommandRejected(f"{ws.path} is not an exercise workspace (made by `triage tabletop run`)")
    started: dict[str, Any] | None = None
    started_at = ended_at = None
    stopped = False
    alerts: dict[int, AlertRecord] = {}
    timeline: list[tuple[datetime, str, str]] = []
    injects: list[tuple[datetime, str, str]] = []
    actors: set[str] = set()
    last_ts: datetime | None = None
    for ev in ws.events():
        when = parse_time(ev.ts)
        last_ts = when
        p = ev.payload
        kind, _, ident = ev.target.partition(":")
        if ev.action == "exercise.started":
            started, started_at = p, when
            timeline.append((when, ev.actor, f"exercise started: {p['scenario']['spec']['title']}"))
            continue
        if ev.action == "exercise.inject":
            injects.append((when, str(p["at"]), str(p["text"])))
            timeline.append((when, "inject", f"{p['at']}: {p['text']}"))
            continue
        if ev.action == "exercise.ended":
            ended_at, stopped = when, bool(p.get("stopped"))
            state = "stopped early" if stopped else "replay complete"
            timeline.append((when, ev.actor, f"exercise ended ({state}; {p.get('alerts')} alerts replayed)"))
            continue
        if ev.action in ANALYST_ACTIONS and ev.actor not in SYSTEM_ACTORS:
            actors.add(ev.actor)
        if kind == "incident":
            timeline.append((when, ev.actor, f"incident {ident} {_describe(ev.action, p)}"))
            continue
        if kind != "alert":
            continue
        alert_id = int(ident)
        if ev.action == "alert.ingested":
            a, pb = p["alert"], p.get("playbook") or {}
            alerts[alert_id] = AlertRecord(
                id=alert_id,
                title=a["title"],
                severity=a["severity"],
                facts={
                    k: a.get(k) for k in ("doc_id", "rule_name", "title", "host", "user", "src_ip", "profile")
                },
                ingested_at=when,
                playbook=pb.get("id"),
                required=list(pb.get("required") or []),
                ack_within=pb.get("ack_within"),
                close_within=pb.get("close_within"),
            )
            timeline.append((when, "alert", f"alert {alert_id} arrived: [{a['severity']}] {a['title']}"))
            continue
        rec = alerts.get(alert_id)
        if rec is None:
            continue
        timeline.append((when, ev.actor, f"alert {alert_id} {_describe(ev.action, p)}"))
        if ev.action == "alert.acknowledged" and rec.acknowledged_at is None:
            rec.acknowledged_at, rec.acknowledged_by = when, ev.actor
        elif ev.action == "alert.step_completed":
            rec.steps_done.append(str(p["step"]))
        elif ev.action == "alert.severity_changed":
            rec.severity = p["to"]
            rec.ack_within = p.get("ack_within", rec.ack_within)
            rec.close_within = p.get("close_within", rec.close_within)
        elif ev.action in ("alert.escalated", "alert.linked"):
            rec.incident = int(p["incident"])
            if rec.escalated_at is None:
                rec.escalated_at = when
        elif ev.action == "alert.unlinked":
            rec.incident = None
        elif ev.action == "alert.closed":
            rec.closed, rec.disposition = True, p["disposition"]
            rec.closed_at = rec.closed_at or when
            if p.get("override"):
                rec.overridden = list(p["override"]["open_steps"])
                rec.override_reason = p["override"]["justification"]
        elif ev.action == "alert.reopened":
            rec.closed, rec.disposition = False, None
    if started is None or started_at is None:
        raise CommandRejected(f"{ws.path}: the exercise never started (no exercise.started event)")
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
    return minutes


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


# -- rendering --------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md(value: object) -> str:
    return printable(value, single_line=True).translate(_MD_SPECIAL)


def _ts(when: datetime | None) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC") if when else "-"


def _sections(m: Minutes) -> list[tuple[str, list[str] | None, list[list[str]], str]]:
    """Each section: title, table headers (None for a list), rows, a sentence before it."""
    tps = [a for a in m.alerts if a.true_positive]
    out: list[tuple[str, list[str] | None, list[list[str]], str]] = []
    out.append(
        (
            "Objectives",
            None,
            [[o] for o in m.spec.objectives],
            "",
        )
    )
    out.append(
        (
            "Participants",
            ["participant", "roles"],
            [[who, ", ".join(roles) or "-"] for who, roles in m.participants.items()],
            "Everyone who acted in the exercise log, with the roles they were given.",
        )
    )
    out.append(
        (
            "Roles",
            ["role", "description", "held by"],
            [
                [r.role, r.description, ", ".join(m.roles.get(r.role, [])) or "not assigned"]
                for r in m.spec.roles
            ],
            "",
        )
    )
    out.append(
        (
            "Score",
            ["part", "achieved", "out of", "points", "weight"],
            [
                [name, f"{got:g}", str(out_of), f"{points:.2f}", f"{WEIGHTS[name]:g}"]
                for name, (got, out_of, points) in m.parts.items()
            ]
            + [["total", "", "", f"{m.score:g}", "100"]],
            SCORE_DEFINITION,
        )
    )
    out.append(("What to improve", None, [[line] for line in m.improve], ""))
    out.append(
        (
            "Escalations",
            ["expected escalation", "alerts", "first alert", "escalated", "after", "target", "result"],
            [
                [
                    e.name,
                    ", ".join(map(str, e.alerts)) or "-",
                    m.offset(e.first_alert_at) if e.first_alert_at else "-",
                    m.offset(e.escalated_at) if e.escalated_at else "-",
                    _dur(e.delay_s),
                    _dur(e.within_s),
                    e.status,
                ]
                for e in m.escalations
            ],
            f"Missed escalations: {sum(e.status == 'missed' for e in m.escalations)};"
            f" late: {sum(e.status == 'late' for e in m.escalations)}.",
        )
    )
    out.append(
        (
            "Alerts: response times and dispositions",
            [
                "alert",
                "arrived",
                "severity",
                "title",
                "acknowledged after",
                "target",
                "closed after",
                "disposition",
                "expected",
                "result",
            ],
            [
                [
                    str(a.id),
                    m.offset(a.ingested_at),
                    a.severity,
                    a.title,
                    _dur(a.ack_s) + (f" by {a.acknowledged_by}" if a.acknowledged_by else ""),
                    _dur(a.ack_within),
                    _dur(a.close_s),
                    a.disposition or ("open" if not a.closed else "-"),
                    " or ".join(a.expected) if a.expected else "any",
                    {True: "ok", False: "wrong" if a.closed else "open", None: "-"}[a.disposition_ok],
                ]
                for a in m.alerts
            ],
            f"{len(m.alerts)} alerts replayed, {len(tps)} of them true positives;"
            f" {sum(a.closed for a in m.alerts)} closed,"
            f" {sum(bool(a.disposition_ok) for a in m.alerts)} with the expected disposition.",
        )
    )
    skipped_rows = []
    for a in m.alerts:
        if a.overridden:
            skipped_rows.append(
                [
                    str(a.id),
                    a.title,
                    a.playbook or "-",
                    ", ".join(a.overridden),
                    f"overridden: {a.override_reason}",
                ]
            )
        elif a.steps_missing and not a.closed:
            skipped_rows.append(
                [str(a.id), a.title, a.playbook or "-", ", ".join(a.steps_missing), "not done"]
            )
    out.append(
        (
            "Skipped playbook steps",
            ["alert", "title", "playbook", "required steps", "how"],
            skipped_rows,
            "Required steps closed over with an override, or not done on alerts left open.",
        )
    )
    out.append(
        (
            "Timeline",
            ["time", "T+", "who", "what"],
            [[_ts(when), m.offset(when), who, what] for when, who, what in m.timeline],
            "Alerts, injects and actions in the order the log holds them.",
        )
    )
    if m.skipped_records:
        out.append(
            (
                "Recorded lines not replayed",
                None,
                [[s] for s in m.skipped_records],
                "Lines of the scenario's files that could not be read or mapped.",
            )
        )
    return out


def _header(m: Minutes) -> list[tuple[str, str]]:
    return [
        ("Exercise", m.exercise),
        ("Scenario", f"{m.spec.title} ({m.spec.id})"),
        (
            "Held",
            f"{_ts(m.started_at)} to {_ts(m.ended_at)} ({_dur((m.ended_at - m.started_at).total_seconds())})",
        ),
        (
            "Replay",
            f"speed {'unlimited' if m.speed == 0 else f'{m.speed:g}×'}"
            + (" (stopped early)" if m.stopped else "")
            + (f", alerts written to {m.target}" if m.target else ""),
        ),
        ("Score", f"{m.score:g} / 100"),
    ]


def render_markdown(m: Minutes) -> str:
    lines = [f"# After-action minutes: {_md(m.spec.title)}", ""]
    lines += [f"- **{k}:** {_md(v)}" for k, v in _header(m)]
    if m.spec.description:
        lines += ["", _md(m.spec.description)]
    for title, headers, rows, intro in _sections(m):
        lines += ["", f"## {title}", ""]
        if intro:
            lines += [_md(intro), ""]
        if headers is None:
            lines += [f"- {_md(r[0])}" for r in rows] or ["- none"]
        elif not rows:
            lines.append("None.")
        else:
            lines.append("| " + " | ".join(headers) + " |")
            lines.append("|" + "---|" * len(headers))
            lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.ok { color: #1a6b1a; } td.wrong, td.missed, td.open { color: #a31515; font-weight: bold; }
td.late { color: #a35a00; }
dl.head dt { font-weight: bold; float: left; clear: left; width: 7em; }
dl.head dd { margin-left: 8em; }
"""


def _h(value: object) -> str:
    return html.escape(printable(value, single_line=True), quote=True)


def render_html(m: Minutes) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>After-action minutes: {_h(m.spec.title)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>After-action minutes: {_h(m.spec.title)}</h1>",
        '<dl class="head">',
    ]
    out += [f"<dt>{_h(k)}</dt><dd>{_h(v)}</dd>" for k, v in _header(m)]
    out.append("</dl>")
    if m.spec.description:
        out.append(f"<p>{_h(m.spec.description)}</p>")
    for title, headers, rows, intro in _sections(m):
        out.append(f"<h2>{_h(title)}</h2>")
        if intro:
            out.append(f"<p>{_h(intro)}</p>")
        if headers is None:
            out.append("<ul>" + "".join(f"<li>{_h(r[0])}</li>" for r in rows) + "</ul>")
        elif not rows:
            out.append("<p>None.</p>")
        else:
            out.append(
                "<table><thead><tr>" + "".join(f"<th>{_h(h)}</th>" for h in headers) + "</tr></thead><tbody>"
            )
            for r in rows:
                cells = "".join(
                    f'<td class="{_h(c)}">{_h(c)}</td>'
                    if c in ("ok", "wrong", "open", "missed", "late")
                    else f"<td>{_h(c)}</td>"
                    for c in r
                )
                out.append(f"<tr>{cells}</tr>")
            out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class WrittenMinutes:
    markdown: Path
    html: Path
    sha256: str  # of the Markdown file: what the production log records
    minutes: Minutes


def write(ws: Workspace, out_dir: str | Path) -> WrittenMinutes:
    """Write ``minutes-<exercise>.md`` and ``.html`` into ``out_dir``."""
    m = build(ws)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out / f"minutes-{m.exercise}.md", out / f"minutes-{m.exercise}.html"
    md = render_markdown(m).encode("utf-8")
    md_path.write_bytes(md)
    html_path.write_text(render_html(m), encoding="utf-8")
    return WrittenMinutes(md_path, html_path, hashlib.sha256(md).hexdigest(), m)
