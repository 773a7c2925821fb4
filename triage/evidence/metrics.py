"""Figures for the month, computed in SQL over a scratch table so memory stays flat.

Percentiles use the nearest-rank definition: the p-th percentile of n sorted values is
the value at rank ceil(p/100 * n) (1-based), i.e. the smallest value such that at least
p % of the values are at or below it. The median is the usual one: the middle value, or
the mean of the two middle values when n is even.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterator
from typing import Any

from triage.evidence import pack

SEVERITIES = ("critical", "high", "medium", "low", "informational")

SCRATCH_DDL = """
CREATE TABLE month_events (
    alert INTEGER NOT NULL, seq INTEGER NOT NULL, action TEXT NOT NULL, actor TEXT NOT NULL,
    ts TEXT NOT NULL, exercise TEXT, payload TEXT NOT NULL
);
CREATE TABLE month_alerts (
    id INTEGER PRIMARY KEY, severity TEXT NOT NULL, rule TEXT NOT NULL, day TEXT NOT NULL,
    ack_s REAL, close_s REAL, disposition TEXT, status TEXT NOT NULL
);
CREATE TABLE breaches (
    alert INTEGER NOT NULL, severity TEXT NOT NULL, target TEXT NOT NULL, due TEXT NOT NULL,
    done_at TEXT, late_s REAL NOT NULL, carried_over INTEGER NOT NULL,
    PRIMARY KEY (alert, target)
);
"""


def nearest_rank(n: int, p: float) -> int:
    """0-based index of the p-th percentile (nearest rank) among n sorted values."""
    return max(1, math.ceil(p / 100.0 * n)) - 1


def _value_at(conn: sqlite3.Connection, column: str, severity: str, offset: int) -> float:
    row = conn.execute(
        f"SELECT {column} FROM month_alerts WHERE severity = ? AND {column} IS NOT NULL"  # noqa: S608
        f" ORDER BY {column} LIMIT 1 OFFSET ?",
        (severity, offset),
    ).fetchone()
    return float(row[0])


def durations(conn: sqlite3.Connection, column: str) -> dict[str, dict[str, Any]]:
    """count, median and p90 (seconds) of ``column`` per severity."""
    out: dict[str, dict[str, Any]] = {}
    for sev in SEVERITIES:
        (n,) = conn.execute(
            f"SELECT count(*) FROM month_alerts WHERE severity = ? AND {column} IS NOT NULL",  # noqa: S608
            (sev,),
        ).fetchone()
        if not n:
            out[sev] = {"count": 0, "median_s": None, "p90_s": None}
            continue
        if n % 2:
            median = _value_at(conn, column, sev, n // 2)
        else:
            median = (_value_at(conn, column, sev, n // 2 - 1) + _value_at(conn, column, sev, n // 2)) / 2
        out[sev] = {
            "count": n,
            "median_s": median,
            "p90_s": _value_at(conn, column, sev, nearest_rank(n, 90)),
        }
    return out


def compute(conn: sqlite3.Connection, days: list[str]) -> dict[str, Any]:
    total = conn.execute("SELECT count(*) FROM month_alerts").fetchone()[0]
    by_sev = dict(conn.execute("SELECT severity, count(*) FROM month_alerts GROUP BY severity").fetchall())
    per_day = dict.fromkeys(days, 0)
    for day, n in conn.execute("SELECT day, count(*) FROM month_alerts GROUP BY day ORDER BY day"):
        per_day[day] = n
    by_status = dict(conn.execute("SELECT status, count(*) FROM month_alerts GROUP BY status").fetchall())
    fp = [
        {
            "rule": rule,
            "alerts": n,
            "closed": closed,
            "false_positives": fps,
            "rate": (fps / closed) if closed else None,
        }
        for rule, n, closed, fps in conn.execute(
            """SELECT rule, count(*), sum(status = 'closed'),
                      sum(status = 'closed' AND disposition = 'false_positive')
               FROM month_alerts GROUP BY rule"""
        )
    ]
    fp.sort(key=lambda r: (-(r["rate"] or 0.0), -r["false_positives"], r["rule"]))
    breach_counts: dict[str, dict[str, int]] = {"acknowledge": {}, "close": {}}
    for target, sev, n in conn.execute("SELECT target, severity, count(*) FROM breaches GROUP BY 1, 2"):
        breach_counts[target][sev] = n
    return {
        "alerts_total": total,
        "alerts_by_severity": {s: by_sev.get(s, 0) for s in SEVERITIES},
        "alerts_by_status_at_month_end": {s: by_status.get(s, 0) for s in ("new", "acknowledged", "closed")},
        "time_to_acknowledge": durations(conn, "ack_s"),
        "time_to_close": durations(conn, "close_s"),
        "alerts_per_day": per_day,
        "false_positive_rate_per_rule": fp,
        "breaches": {
            "total": sum(sum(v.values()) for v in breach_counts.values()),
            "by_target_and_severity": breach_counts,
            "listed_in": pack.BREACHES_CSV,
        },
    }


def iter_breaches(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every breach, one by one, in order of due time."""
    for a, sev, target, due, done, late, carried in conn.execute(
        "SELECT alert, severity, target, due, done_at, late_s, carried_over FROM breaches"
        " ORDER BY due, alert, target"
    ):
        yield {
            "alert": a,
            "severity": sev,
            "target": target,
            "due": due,
            "done_at": done or None,
            "late_by_s": late,
            "carried_over": bool(carried),
        }
