"""The summary report: one self-contained HTML file (inline CSS and SVG, no scripts) and
the same content in Markdown. Every value from the log is escaped: alert text is untrusted."""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass
from typing import Any

from triage.evidence import pack
from triage.evidence.metrics import SEVERITIES
from triage.evidence.report_fatigue import fatigue_sections
from triage.text import printable

BREACHES_SHOWN = 200
RULES_SHOWN = 20


@dataclass
class ReportData:
    manifest: pack.Manifest
    figures: dict[str, Any]
    incidents: list[dict[str, Any]]
    exercises: list[dict[str, Any]]
    handovers: list[dict[str, str]]
    suppressions: list[dict[str, Any]]
    breaches: list[dict[str, str]]
    verification: dict[str, Any]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = round(seconds)
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def percent(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _text(value: object) -> str:
    return printable(value, single_line=True, limit=300)


# -- shared content ---------------------------------------------------------------------


def _sections(d: ReportData) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, headers, rows) for each table, shared by both formats."""
    f = d.figures
    out: list[tuple[str, list[str], list[list[str]]]] = []
    tta, ttc = f["time_to_acknowledge"], f["time_to_close"]
    out.append(
        (
            "Time to acknowledge and to close, by severity",
            ["severity", "alerts", "acknowledged", "median", "p90", "closed", "median", "p90"],
            [
                [
                    sev,
                    str(f["alerts_by_severity"][sev]),
                    str(tta[sev]["count"]),
                    duration(tta[sev]["median_s"]),
                    duration(tta[sev]["p90_s"]),
                    str(ttc[sev]["count"]),
                    duration(ttc[sev]["median_s"]),
                    duration(ttc[sev]["p90_s"]),
                ]
                for sev in SEVERITIES
            ],
        )
    )
    b = f["backlog_at_month_end"]
    out.append(
        (
            "Backlog open at month end",
            ["", *SEVERITIES, "total"],
            [
                ["open alerts", *(str(b["by_severity"].get(s, 0)) for s in SEVERITIES), str(b["total"])],
            ],
        )
    )
    out.append(
        (
            "Work per analyst",
            ["analyst", "acknowledged", "assigned", "notes", "steps", "escalations", "closed", "total"],
            [
                [
                    _text(name),
                    *(
                        str(w.get(k, 0))
                        for k in ("acknowledged", "assigned", "notes", "steps", "escalations")
                    ),
                    str(w.get("closed", 0)),
                    str(w.get("total", 0)),
                ]
                for name, w in f["work_per_analyst"].items()
            ],
        )
    )
    out.append(
        (
            "False-positive rate per rule (closed alerts)",
            ["rule", "alerts", "closed", "false positives", "rate"],
            [
                [
                    _text(r["rule"]),
                    str(r["alerts"]),
                    str(r["closed"]),
                    str(r["false_positives"]),
                    percent(r["rate"]),
                ]
                for r in f["false_positive_rate_per_rule"][:RULES_SHOWN]
            ],
        )
    )
    total = f["breaches"]["total"]
    shown = (
        f"first {len(d.breaches)} of {total}, all in {pack.BREACHES_CSV}"
        if total > len(d.breaches)
        else str(total)
    )
    out.append(
        (
            f"Target breaches ({shown})",
            ["alert", "severity", "target", "due", "done", "late by", "carried over"],
            [
                [
                    r["alert"],
                    r["severity"],
                    r["target"],
                    r["due"],
                    r["done_at"] or "open at month end",
                    duration(float(r["late_by_s"])),
                    "yes" if r["carried_over"] == "true" else "",
                ]
                for r in d.breaches
            ],
        )
    )
    out.append(
        (
            "Incidents",
            ["id", "title", "severity", "status at month end", "owner", "created", "alerts"],
            [
                [
                    str(i["id"]),
                    _text(i["title"]),
                    i["severity"],
                    i["status_at_month_end"],
                    _text(i["owner"] or "-"),
                    i["created_at"],
                    i["alerts"],
                ]
                for i in d.incidents
            ],
        )
    )
    out.append(
        (
            "Tabletop exercises held this month",
            ["exercise", "title", "started", "ended", "score", "minutes"],
            [
                [
                    _text(e["exercise_id"]),
                    _text(e["title"]),
                    e["started_at"],
                    e["ended_at"],
                    "-" if e["score"] is None else str(e["score"]),
                    e["minutes_file"] or f"not supplied (SHA-256 {e['minutes_sha256'][:16]}...)",
                ]
                for e in d.exercises
            ],
        )
    )
    out += fatigue_sections(f, d.suppressions, d.handovers)
    out.append(
        (
            "Management sign-off",
            ["signed by", "signed at", "event", "statement"],
            [
                [_text(s["signed_by"]), s["signed_at"], str(s["seq"]), _text(s["statement"])]
                for s in d.manifest["signoffs"]
            ],
        )
    )
    return out


def _facts(d: ReportData) -> list[tuple[str, str]]:
    m, f = d.manifest, d.figures
    log = m["log"]
    excerpt = f"events {log['first_seq']} to {log['last_seq']}" if log["events"] else "no events"
    facts = [
        ("Month", f"{m['month']} ({m['timezone']}): {m['period']['start']} to {m['period']['end']}"),
        ("Alerts received", str(f["alerts_total"]) if f["alerts_total"] else "no alerts this month"),
        ("Status at month end", ", ".join(f"{v} {k}" for k, v in f["alerts_by_status_at_month_end"].items())),
        ("Investigation log", f"{log['events']} events ({excerpt}), in {pack.LOG_JSONL} and {pack.LOG_CSV}"),
        (
            "Chain head at month end",
            f"event {m['head_at_month_end']['seq']}, {m['head_at_month_end']['hash']}",
        ),
        ("Whole-chain verification", d.verification["summary"]),
        ("Signed checkpoints in the pack", str(len(m["checkpoints"])) or "0"),
        ("Signing key", m["key_id"]),
        ("Generated", f"{m['generated_at']} by {_text(m['generated_by'])}"),
    ]
    if f["exercise_events_excluded"]:
        facts.append(("Exercise-marked events left out of the figures", str(f["exercise_events_excluded"])))
    if not m["signoffs"]:
        facts.append(("Management sign-off", "not signed yet (`triage evidence sign`)"))
    return facts


# -- Markdown ---------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>|#!~])")


def md(value: object) -> str:
    """Markdown text: hidden characters escaped (``triage.text``), on one line, and no
    character that Markdown would read as syntax."""
    return _MD_SPECIAL.sub(r"\\\1", printable(value, single_line=True))


def markdown(d: ReportData) -> str:
    m = d.manifest
    lines = [f"# Monitoring evidence: {md(m['month'])}", ""]
    lines += [f"- **{md(k)}**: {md(v)}" for k, v in _facts(d)]
    lines += ["", "## Alerts received per day", ""]
    lines += ["| day | alerts |", "| --- | ---: |"]
    lines += [f"| {day} | {n} |" for day, n in d.figures["alerts_per_day"].items()]
    for title, headers, rows in _sections(d):
        lines += ["", f"## {md(title)}", ""]
        if not rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(md(h) for h in headers) + " |")
        lines.append("| " + " | ".join("---" for _ in headers) + " |")
        lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    lines += ["", "## Verifying this pack", "", VERIFY_TEXT, ""]
    return "\n".join(lines)


VERIFY_TEXT = (
    f"{pack.MANIFEST} lists the SHA-256 of every file and is signed ({pack.SIGNATURE}) with the Ed25519"
    f" key that signs the log's checkpoints; {pack.PUBLIC_KEY} is that key. Run `triage evidence verify"
    " PACK --public-key KEY.pem` with the public key you obtained from us separately: it re-hashes every"
    f" file, checks the signatures and recomputes the hash chain of {pack.LOG_JSONL}."
)


# -- HTML -------------------------------------------------------------------------------

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#111;padding:0 1em}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.8em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3}dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}.ok{color:#060}.bad{color:#a00;font-weight:700}
svg text{font:11px system-ui,sans-serif}
"""


def e(value: object) -> str:
    """HTML text: hidden characters escaped (``triage.text``), then HTML-escaped."""
    return _html.escape(printable(value), quote=True)


def bar_chart(values: list[tuple[str, float]], *, title: str, unit: str = "", width: int = 900) -> str:
    """A vertical bar chart as inline SVG."""
    height, left, bottom, top = 220, 40, 40, 20
    n = max(len(values), 1)
    peak = max((v for _, v in values), default=0.0) or 1.0
    slot = (width - left - 10) / n
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{e(title)}"><title>{e(title)}</title>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#888"/>',
        f'<text x="{left - 4}" y="{top + 4}" text-anchor="end">{e(_num(peak))}{e(unit)}</text>',
    ]
    for i, (label, v) in enumerate(values):
        h = (height - bottom - top) * (v / peak)
        x = left + i * slot + slot * 0.1
        parts.append(
            f'<rect x="{x:.1f}" y="{height - bottom - h:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
            f'fill="#3b6ea8"><title>{e(label)}: {e(_num(v))}{e(unit)}</title></rect>'
        )
        if n <= 12 or i % max(1, n // 10) == 0:
            parts.append(
                f'<text x="{x + slot * 0.4:.1f}" y="{height - bottom + 14}" '
                f'text-anchor="middle">{e(label)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(values: list[tuple[str, float]], *, title: str, width: int = 900) -> str:
    """Horizontal bars for rates from 0 to 1."""
    row, left = 18, 320
    height = row * max(len(values), 1) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="{e(title)}"><title>{e(title)}</title>'
    ]
    for i, (label, v) in enumerate(values):
        y = 5 + i * row
        w = (width - left - 60) * max(0.0, min(1.0, v))
        parts.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{e(label[:48])}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{w:.1f}" height="{row - 5}" fill="#b5523b"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 12}">{e(percent(v))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def html(d: ReportData) -> str:
    m, f = d.manifest, d.figures
    ok = d.verification["ok"]
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy"',
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">",
        f"<title>Monitoring evidence {e(m['month'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>Monitoring evidence: {e(m['month'])}</h1>",
        f'<p class="{"ok" if ok else "bad"}">Investigation log chain: {e(d.verification["summary"])}</p>',
        "<dl>",
    ]
    out += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in _facts(d)]
    out.append("</dl>")
    per_day = list(f["alerts_per_day"].items())
    out.append("<h2>Alerts received per day</h2>")
    out.append(bar_chart([(day[8:], float(n)) for day, n in per_day], title="Alerts received per day"))
    out.append("<h2>Median time to acknowledge and to close (hours)</h2>")
    medians: list[tuple[str, float]] = []
    for sev in SEVERITIES:
        for what, key in (("ack", "time_to_acknowledge"), ("close", "time_to_close")):
            v = f[key][sev]["median_s"]
            medians.append((f"{sev[:4]} {what}", (v or 0.0) / 3600))
    out.append(bar_chart(medians, title="Median time to acknowledge and to close by severity", unit="h"))
    rules = [
        (str(r["rule"]), float(r["rate"])) for r in f["false_positive_rate_per_rule"] if r["rate"] is not None
    ]
    if rules:
        out.append("<h2>False-positive rate per rule</h2>")
        out.append(hbar_chart(rules[:RULES_SHOWN], title="False-positive rate per rule"))
    for title, headers, rows in _sections(d):
        out.append(f"<h2>{e(title)}</h2>")
        if not rows:
            out.append("<p>None.</p>")
            continue
        out.append(
            "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in headers) + "</tr></thead><tbody>"
        )
        out += ["<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows]
        out.append("</tbody></table>")
    out.append(f"<h2>Verifying this pack</h2><p>{e(VERIFY_TEXT)}</p>")
    out.append("</body></html>\n")
    return "\n".join(out)
