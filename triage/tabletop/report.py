"""After-action minutes of an exercise, rendered: Markdown (whose SHA-256 the production log
records) and one self-contained HTML page, from the minutes model (``triage.tabletop.minutes``).
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from triage.clock import display_time
from triage.store.workspace import Workspace
from triage.tabletop.minutes import SCORE_DEFINITION, WEIGHTS, Minutes, _dur, build
from triage.text import printable

__all__ = ["Minutes", "WrittenMinutes", "build", "render_html", "render_markdown", "write"]


# -- rendering --------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#"})


def _md(value: object) -> str:
    return printable(value, single_line=True).translate(_MD_SPECIAL)


def _ts(when: datetime | None) -> str:
    return display_time(when)


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
            "Suppression rules made during the exercise",
            ["rule", "T+", "by", "query", "reason", "expires", "alerts closed", "ended"],
            [
                [
                    str(r["id"]), m.offset(r["at"]), r["by"], r["query"], r["reason"], r["expires_at"],
                    str(r["closed"]), m.offset(r["ended_at"]) if r["ended_at"] else "-",
                ]
                for r in m.suppressions
            ],
            "A rule made in an exercise closes the exercise's alerts only: review it before making it in"
            " production.",
        )
    )  # fmt: skip
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
