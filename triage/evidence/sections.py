"""The evidence pack's sections, each written from the log as it stood at month end: the log
excerpt and the work per analyst, alerts (replayed with the domain fold), breaches, backlog,
incidents, exercises, sign-offs and checkpoints. ``triage.evidence.export`` drives them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from triage.clock import parse_time
from triage.domain import events as ev
from triage.domain.logged import Fact
from triage.domain.logged import is_exercise as is_exercise_fact
from triage.domain.suppression import SuppressionState
from triage.evidence import pack
from triage.evidence.alert_sections import AlertSections
from triage.evidence.replay import (
    compact_ingest,
    incident_as_of,
    is_exercise,
)
from triage.evidence.writer_base import _sha256_file
from triage.store.chain import GENESIS

# What counts as an analyst's work, by action.
WORK = {
    ev.ALERT_ASSIGNED: "assigned",
    ev.ALERT_ACKNOWLEDGED: "acknowledged",
    ev.ALERT_NOTED: "notes",
    ev.ALERT_STEP_COMPLETED: "steps",
    ev.ALERT_SEVERITY_CHANGED: "severity_changes",
    ev.ALERT_ESCALATED: "escalations",
    ev.ALERT_LINKED: "escalations",
    ev.ALERT_UNLINKED: "escalations",
    ev.ALERT_CLOSED: "closed",
    ev.ALERT_REOPENED: "reopened",
    ev.INCIDENT_UPDATED: "incident_updates",
    ev.SUPPRESSION_CREATED: "suppressions",
    ev.SUPPRESSION_CHANGED: "suppressions",
    ev.SUPPRESSION_ENDED: "suppressions",
    ev.INCIDENT_NOTED: "notes",  # an analyst's notes, on alerts or incidents
}
assert set(WORK) == ev.ANALYST_ACTIONS
WORK_COLUMNS = sorted(set(WORK.values()))


class Exporter(AlertSections):
    """Writes the pack's files, one section at a time, from one read snapshot."""

    def bounds(self) -> tuple[int, int, str, str]:
        """(last seq before the month, last seq of the month, the hashes at both)."""

        def last_before(ts: str) -> tuple[int, str]:
            row = self.conn.execute(
                "SELECT seq, hash FROM events WHERE ts < ? ORDER BY ts DESC, seq DESC LIMIT 1", (ts,)
            ).fetchone()
            return (row[0], row[1]) if row else (0, GENESIS)

        before, before_hash = last_before(self.period.start_ts)
        end, end_hash = last_before(self.period.end_ts)
        return before, end, before_hash, end_hash

    # -- the log excerpt -----------------------------------------------------------------

    def write_log(self, before: int, end: int) -> dict[str, Any]:
        """Write the excerpt, count the work, and keep a compact copy of every alert event
        in the scratch file for the alert figures (so no event body is read twice)."""
        work: dict[str, dict[str, int]] = {}
        incidents: set[int] = set()
        n = excluded = 0
        every = max(1, self.req.progress_every)
        keep = self.scratch.execute
        insert = "INSERT INTO month_events VALUES (?, ?, ?, ?, ?, ?, ?)"
        pending: list[tuple[Any, ...]] = []
        suppressed: dict[int, list[int]] = {}  # rule -> the alerts it closed in the month
        told: dict[tuple[str, str], dict[str, int]] = {}  # (notify target, kind) -> outcome -> count
        keep("BEGIN")
        with self.open_text(pack.LOG_JSONL) as jl, self.open_text(pack.LOG_CSV) as cf:
            w = pack.csv_writer(cf)
            w.writerow(pack.LOG_COLUMNS)
            cur = self.ws.stream(  # a server-side cursor on PostgreSQL: memory stays flat
                "SELECT seq, body, prev_hash, hash FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                (before, end),
            )
            for seq, body, prev_hash, hash_ in cur:
                d = json.loads(body)
                jl.write(pack.log_line(seq, body, prev_hash, hash_, d))
                jl.write("\n")
                w.writerow(pack.log_row(seq, body, d, prev_hash, hash_))
                payload, action, target, actor = d["payload"], d["action"], d["target"], d["actor"]
                exercise = d.get("exercise")
                n += 1
                if n % every == 0:
                    self.say(f"log: {n:,} events written (event {seq:,} of {end:,})")
                marked = is_exercise(d)
                if target.startswith("alert:"):
                    text = (
                        compact_ingest(payload)
                        if action == ev.ALERT_INGESTED
                        else pack.payload_text(body, payload)
                    )
                    pending.append((int(target[6:]), seq, action, actor, d["ts"], exercise, text))
                    if len(pending) >= 5000:
                        self.scratch.executemany(insert, pending)
                        pending.clear()
                if marked:
                    excluded += 1
                    continue
                rule = pack.suppression_of_close(d) if action == ev.ALERT_CLOSED else None
                if rule is not None:
                    suppressed.setdefault(rule, []).append(int(target[6:]))
                elif action == ev.NOTIFICATION_SENT:
                    per = told.setdefault(
                        (target.partition(":")[2], payload["kind"]), {"sent": 0, "failed": 0}
                    )
                    per[payload["outcome"]] = per.get(payload["outcome"], 0) + 1
                kind = WORK.get(action)
                if kind is not None:
                    per = work.setdefault(actor, dict.fromkeys(WORK_COLUMNS, 0))
                    per[kind] += 1
                if target.startswith("incident:"):
                    incidents.add(int(target[9:]))
                else:  # an escalation touches the incident it moves the alert to and the one it left
                    incidents.update(
                        payload[k] for k in ("incident", "previous") if isinstance(payload.get(k), int)
                    )
        self.scratch.executemany(insert, pending)
        keep("COMMIT")
        for per in work.values():
            per["total"] = sum(per[k] for k in WORK_COLUMNS)
        return {
            "events": n, "exercise_excluded": excluded, "work": work, "incidents": incidents,
            "suppressed": suppressed,
            "notifications": [
                {"target": name, "kind": kind, **counts} for (name, kind), counts in sorted(told.items())
            ],
        }  # fmt: skip

    # -- alerts --------------------------------------------------------------------------

    # -- incidents -----------------------------------------------------------------------

    def write_incidents(self, touched: set[int], end_seq: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.open_text(pack.INCIDENTS_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.INCIDENT_COLUMNS)
            ids = [
                r[0]
                for r in self.conn.execute(
                    "SELECT id FROM incidents WHERE created_at < ? ORDER BY id", (self.period.end_ts,)
                )
            ]
            for incident_id in ids:
                inc = incident_as_of(self.conn, incident_id, end_seq)
                if inc is None or (incident_id not in touched and inc.status != "open"):
                    continue
                timeline = pack.incident_timeline(incident_id)
                with self.open_text(timeline) as tf:
                    tw = pack.csv_writer(tf)
                    tw.writerow(pack.TIMELINE_COLUMNS)
                    for seq, body, hash_ in self.conn.execute(
                        "SELECT e.seq, e.body, e.hash FROM timeline t JOIN events e ON e.seq = t.seq"
                        " WHERE t.ref = ? AND t.seq <= ? ORDER BY t.seq",
                        (f"incident:{incident_id}", end_seq),
                    ):
                        d = json.loads(body)
                        if is_exercise(d):
                            continue
                        tw.writerow(pack.timeline_row(seq, body, d, hash_))
                row = {
                    "id": inc.id,
                    "title": inc.title,
                    "severity": inc.severity,
                    "status_at_month_end": inc.status,
                    "owner": inc.owner,
                    "created_at": inc.created_at,
                    "created_by": inc.created_by,
                    "closed_at": inc.closed_at,
                    "alerts": " ".join(str(a) for a in inc.alerts),
                    "events": inc.events,
                    "timeline": timeline,
                }
                w.writerow(pack.cells([row[c] for c in pack.INCIDENT_COLUMNS]))
                out.append(row)
        return out

    # -- exercises and sign-offs ---------------------------------------------------------

    def _ref_events(self, lo: str, hi: str) -> Iterator[tuple[int, str, str, str]]:
        yield from self.conn.execute(
            "SELECT e.seq, e.body, e.prev_hash, e.hash FROM timeline t JOIN events e ON e.seq = t.seq"
            " WHERE t.ref >= ? AND t.ref < ? ORDER BY t.seq",
            (lo, hi),
        )

    def _find_minutes(self, digest: str, exercise_id: str) -> Path | None:
        root = self.req.exercises_dir
        if root is None or not root.is_dir():
            return None
        candidates = sorted(p for p in root.rglob("*") if p.is_file())
        candidates.sort(key=lambda p: exercise_id not in str(p.relative_to(root)))  # likely ones first
        for path in candidates:
            if _sha256_file(path) == digest:
                return path
        return None

    def write_exercises(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with self.open_text(pack.EXERCISES_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.EXERCISE_COLUMNS)
            for seq, body, _prev, _hash in self._ref_events("exercise:", "exercise;"):
                d = json.loads(body)
                if d["action"] != ev.EXERCISE_RECORDED:
                    continue
                p = d["payload"]
                if not self.period.contains(parse_time(p["started_at"])):
                    continue
                found = self._find_minutes(p["minutes_sha256"], p["exercise_id"])
                minutes = ""
                if found is not None:
                    minutes = pack.exercise_minutes(p["exercise_id"], found.name)
                    (self.dir / minutes).parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(found, self.dir / minutes)
                row = {
                    "exercise_id": p["exercise_id"],
                    "title": p["title"],
                    "started_at": p["started_at"],
                    "ended_at": p["ended_at"],
                    "score": p.get("score"),
                    "minutes_sha256": p["minutes_sha256"],
                    "minutes_file": minutes,
                    "recorded_by": d["actor"],
                    "recorded_at": d["ts"],
                    "seq": seq,
                }
                w.writerow(pack.cells([row[c] for c in pack.EXERCISE_COLUMNS]))
                out.append(row)
        return out

    def write_signoffs(self) -> list[pack.SignoffEntry]:
        ref = pack.signoff_target(self.period.month)
        out: list[pack.SignoffEntry] = []
        with self.open_text(pack.SIGNOFFS_JSONL) as fh:
            for seq, body, prev, hash_ in self._ref_events(ref, ref + "\x01"):  # exactly ref
                d = json.loads(body)
                if d["action"] != pack.SIGNOFF_ACTION:
                    continue
                fh.write(pack.log_line(seq, body, prev, hash_, d) + "\n")
                out.append(pack.signoff_entry(seq, d))
        return out

    def write_handovers(self, before: int, end: int) -> list[dict[str, str]]:
        """Every shift handover recorded in the month, one row per ``shift.handover`` event."""
        out: list[dict[str, str]] = []
        with self.open_text(pack.HANDOVERS_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.HANDOVER_COLUMNS)
            for seq, body, hash_ in self.conn.execute(
                "SELECT seq, body, hash FROM events WHERE action = ? AND seq > ? AND seq <= ? ORDER BY seq",
                (pack.HANDOVER_ACTION, before, end),
            ):
                row = pack.handover_row(seq, json.loads(body), hash_)
                w.writerow(row)
                out.append(dict(zip(pack.HANDOVER_COLUMNS, row, strict=True)))
        return out

    def write_suppressions(self, end: int, suppressed: dict[int, list[int]]) -> list[dict[str, Any]]:
        """Every suppression rule active at some time in the month, as it stood at month end, with
        the alerts it closed in the month (``suppressed``, counted from the excerpt)."""
        start_ts, end_ts = self.period.start_ts, self.period.end_ts
        out: list[dict[str, Any]] = []
        ids = [
            i
            for (i,) in self.conn.execute(
                "SELECT id FROM suppressions WHERE created_at < ? ORDER BY id", (end_ts,)
            )
        ]
        with self.open_text(pack.SUPPRESSIONS_CSV) as fh:
            w = pack.csv_writer(fh)
            w.writerow(pack.SUPPRESSION_COLUMNS)
            for rule_id in ids:
                rows = self.conn.execute(
                    "SELECT e.seq, e.body FROM timeline t JOIN events e ON e.seq = t.seq"
                    " WHERE t.ref = ? AND t.seq <= ? ORDER BY t.seq",
                    (f"suppression:{rule_id}", end),
                )
                facts = [Fact.from_body(seq, json.loads(body)) for seq, body in rows]
                state = SuppressionState.fold(f for f in facts if not is_exercise_fact(f))
                if state is None or state.exercise:
                    continue
                ended_before = state.ended_at is not None and state.ended_at < start_ts
                if ended_before or state.expires_at <= start_ts or state.starts_at >= end_ts:
                    continue
                closed = suppressed.get(rule_id, [])
                row = {
                    **state.row(),
                    "alerts_closed_in_month": len(closed),
                    "last_alert_closed_in_month": closed[-1] if closed else None,
                    "alerts_closed_by_month_end": state.alerts_closed,
                }
                w.writerow(pack.cells([row[c] for c in pack.SUPPRESSION_COLUMNS]))
                out.append(row)
        return out

    # -- checkpoints ---------------------------------------------------------------------

    def checkpoints(self, before: int, end_seq: int) -> list[dict[str, Any]]:
        """The signed checkpoints that cover the month: the last one at or before its start,
        every one inside it, and the first one after its end."""
        rows = self.conn.execute("SELECT n, seq, record FROM checkpoints ORDER BY n").fetchall()
        chosen: list[str] = []
        last_before: str | None = None
        after: str | None = None
        for _n, seq, record in rows:
            if seq <= before:
                last_before = record
            elif seq <= end_seq:
                chosen.append(record)
            elif after is None:
                after = record
        records = ([last_before] if last_before else []) + chosen + ([after] if after else [])
        return [json.loads(r) for r in records]
