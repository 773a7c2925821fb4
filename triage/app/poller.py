"""Polling Elasticsearch and OpenSearch: every alert once, none lost, none doubled.

A pass opens a point in time on the source's index pattern (so indices created since the last
pass are included), and pages through it sorted by the alert timestamp with ``_shard_doc`` as
tie-breaker, using ``search_after``. It starts ``lookback`` seconds behind the source's cursor,
so documents that became searchable late are still found; those seen before are recognised by
their index and id and not stored again. Each page is committed with the cursor it reaches in
one transaction: a crash between pages loses nothing and the next pass resumes from there.
"""

from __future__ import annotations

import contextlib
import os
import random
import threading
import time  # monotonic timing and sleeping only; wall-clock time comes from triage.clock
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from triage.app.prefetch import Prefetch
from triage.clock import epoch_s, now_ts
from triage.commands import Commands, IngestResult
from triage.errors import SourceError, SourceUnavailable, WorkspaceError
from triage.sources.base import RawRecord, unwrap_hit
from triage.sources.search import Backend, Page, SearchSourceConfig, backend_for
from triage.store.backend import DatabaseError, OperationalError
from triage.store.workspace import Workspace

# A sort value this far in the future means "no timestamp"; it must never become the cursor.
_FUTURE_SLACK_MS = 24 * 3600 * 1000
# Timestamp field types the server can sort and range by time (numbers are epoch times).
_TIME_TYPES = frozenset(
    {"date", "date_nanos", "long", "integer", "unsigned_long", "double", "float", "scaled_float"}
)
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0

Report = Callable[[str], None]


@dataclass
class PassResult:
    source: str
    pages: int = 0
    hits: int = 0
    ingest: IngestResult = field(default_factory=IngestResult)
    cursor_ms: int | None = None
    newest_ms: int | None = None
    seconds: float = 0.0
    written_back: int = 0

    @property
    def lag_s(self) -> float | None:
        """How far behind now the newest alert this pass reached is."""
        if self.cursor_ms is None:
            return None
        return max(0.0, epoch_s() - self.cursor_ms / 1000)

    def line(self) -> str:
        lag = f"newest alert {self.lag_s:.0f}s ago" if self.lag_s is not None else "no alerts yet"
        return (
            f"{self.source}: {self.ingest.summary()}; {self.hits} read in {self.pages} pages, "
            f"{self.seconds:.1f}s; {lag}"
            + (f"; {self.written_back} statuses written back" if self.written_back else "")
        )


def _now_ms() -> int:
    return int(epoch_s() * 1000)


def _ts_ms(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    ms = int(value)
    if ms < 0 or ms > _now_ms() + _FUTURE_SLACK_MS:
        return None
    return ms


class Poller:
    """Runs passes over one source into a workspace through the command layer."""

    def __init__(
        self,
        cfg: SearchSourceConfig,
        commands: Commands,
        *,
        backend: Backend | None = None,
        report: Report | None = None,
        stop: threading.Event | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.cfg = cfg
        self.commands = commands
        self.ws = commands.ws
        self.backend = backend or backend_for(cfg)
        self.report = report or (lambda _msg: None)
        self.stop = stop or threading.Event()
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security
        self.failures = 0
        self._noted: set[str] = set()
        self._reopened: Workspace | None = None  # a workspace this poller opened again itself

    # -- one pass ----------------------------------------------------------------------

    def cursor(self) -> int | None:
        row = self.ws.conn.execute(
            "SELECT cursor_ms FROM source_cursors WHERE name = ?", (self.cfg.name,)
        ).fetchone()
        return int(row[0]) if row and row[0] is not None else None

    def _query(self, cursor: int | None) -> dict[str, Any]:
        filters: list[dict[str, Any]] = []
        if self.cfg.query:
            filters.append(self.cfg.query)
        if cursor is not None:
            since = cursor - int(self.cfg.lookback * 1000)
            ts = self.cfg.timestamp_field
            filters.append(
                {
                    "bool": {
                        "should": [
                            {"range": {ts: {"gte": since, "format": "epoch_millis"}}},
                            # documents without a timestamp are read every pass, never skipped
                            {"bool": {"must_not": {"exists": {"field": ts}}}},
                        ],
                        "minimum_should_match": 1,
                    }
                }
            )
        return {"bool": {"filter": filters}} if filters else {"match_all": {}}

    def _sort(self) -> list[dict[str, Any]]:
        return [
            {
                self.cfg.timestamp_field: {
                    "order": "asc",
                    "unmapped_type": "date",
                    "numeric_type": "date",
                    "missing": "_last",
                }
            },
            {"_shard_doc": "asc"},
        ]

    def untimed_indices(self) -> dict[str, str]:
        """Indices of the pattern whose timestamp field is mapped as something that is neither
        a date nor a number (text, keyword): the server cannot sort or range them by time, so
        they are read whole on every pass instead of failing the pass for every index."""
        try:
            types = self.backend.field_types(self.cfg.index, self.cfg.timestamp_field)
        except SourceError as exc:
            # No privilege to read mappings: poll as before, and say why once. Any other failure
            # (down, bad credentials, no index) is the pass's own to report, once.
            if exc.status == 403:
                self._note_once(f"cannot read the mapping of {self.cfg.timestamp_field} ({exc})")
            return {}
        return {index: kind for index, kind in sorted(types.items()) if kind not in _TIME_TYPES}

    def _note_once(self, text: str) -> None:
        if text not in self._noted:
            self._noted.add(text)
            self.report(f"{self.cfg.name}: note: {text}")

    def _targets(self) -> list[tuple[str, bool]]:
        """(index expression, read in time order) for one pass."""
        untimed = self.untimed_indices()
        if not untimed:
            return [(self.cfg.index, True)]
        for index, kind in untimed.items():
            self._note_once(
                f"index {index} maps {self.cfg.timestamp_field} as {kind}, not a date:"
                " its documents are read on every pass"
            )
        parts = [p.strip() for p in self.cfg.index.split(",") if p.strip()]
        if any("*" in p for p in parts):
            timed = ",".join([*parts, *(f"-{i}" for i in untimed)])
        else:
            timed = ",".join(p for p in parts if p not in untimed)
        return ([(timed, True)] if timed else []) + [(",".join(untimed), False)]

    def pages(self, cursor: int | None, index: str | None = None, *, timed: bool = True) -> Iterator[Page]:
        """The pages of one pass over ``index`` (the source's pattern by default), through a
        point in time; ``timed`` False reads all of it in shard order."""
        pit = self.backend.open_pit(index or self.cfg.index)
        try:
            after: list[Any] | None = None
            if timed:
                query, sort = self._query(cursor), self._sort()
            else:
                query, sort = self._query(None), [{"_shard_doc": "asc"}]
            while True:
                page = self.backend.page(
                    pit, query=query, sort=sort, search_after=after, size=self.cfg.page_size
                )
                pit = page.pit_id
                if not page.hits:
                    return
                yield page
                if len(page.hits) < self.cfg.page_size:
                    return
                after = page.hits[-1]["sort"]
        finally:
            try:
                self.backend.close_pit(pit)
            except SourceError as exc:  # it expires on its own; say so and go on
                self.report(f"{self.cfg.name}: note: {exc}")

    def run_pass(self) -> PassResult:
        started = time.monotonic()
        result = PassResult(self.cfg.name)
        cursor = self.cursor()
        result.cursor_ms = cursor
        with Prefetch(self._all_pages(cursor)) as pages, self.commands.ws.background_checkpoints():
            self._ingest_pages(pages, cursor, result)
        result.seconds = time.monotonic() - started
        return result

    def _ingest_pages(
        self, pages: Iterator[tuple[Page, bool]], cursor: int | None, result: PassResult
    ) -> None:
        """Map and write page after page (the next one is fetched meanwhile), each in one
        transaction with the cursor it reaches."""
        for page, timed in pages:
            hits = page.hits
            records: list[RawRecord] = []
            for hit in hits:
                where = f"{hit.get('_index')}/{hit.get('_id')}"
                records.append(unwrap_hit(self.cfg.name, where, hit, plain=page.plain))
                sort = (hit.get("sort") or [None]) if timed else [None]
                ms = _ts_ms(sort[0])
                if ms is not None:
                    result.newest_ms = ms if result.newest_ms is None else max(result.newest_ms, ms)
            page_cursor = result.newest_ms
            if cursor is not None and page_cursor is not None:
                page_cursor = max(cursor, page_cursor)
            page_result = self.commands.ingest_polled(
                records,
                source=self.cfg.name,
                profile=None if self.cfg.profile == "auto" else self.cfg.profile,
                cursor_ms=page_cursor,
            )
            result.ingest.add(page_result)
            result.pages += 1
            result.hits += len(hits)
            if page_cursor is not None:
                result.cursor_ms = page_cursor
            if self.stop.is_set():  # stop after the batch just committed
                break

    def _all_pages(self, cursor: int | None) -> Iterator[tuple[Page, bool]]:
        for index, timed in self._targets():
            for page in self.pages(cursor, index, timed=timed):
                yield page, timed
            if self.stop.is_set():
                return

    # -- write-back ---------------------------------------------------------------------

    def write_back(self) -> int:
        """Set the Elastic Security workflow status of alerts acknowledged, closed or reopened
        in triage; each update is logged as an ``alert.source_updated`` event."""
        if not self.cfg.writeback:
            return 0
        rows = self.ws.conn.execute(
            """SELECT id, index_name, doc_id, want FROM (
                   SELECT id, index_name, doc_id, source_status,
                          CASE status WHEN 'closed' THEN 'closed'
                                      WHEN 'acknowledged' THEN 'acknowledged'
                                      ELSE 'open' END AS want
                   FROM alerts WHERE source = ? AND index_name IS NOT NULL AND doc_id IS NOT NULL
                     AND (status != 'new' OR source_status IS NOT NULL))
               WHERE source_status IS NOT want ORDER BY id""",
            (self.cfg.name,),
        ).fetchall()
        for alert_id, index, doc_id, want in rows:
            self.backend.set_workflow_status(index, doc_id, want)
            self.commands.record_source_update(alert_id, want)
        return len(rows)

    # -- health ------------------------------------------------------------------------

    def _status(self, state: str, *, error: str | None = None, result: PassResult | None = None) -> None:
        now = now_ts()
        ok_at = now if result is not None else None
        with self.ws.write_telemetry() as conn:
            conn.execute(
                """INSERT INTO poll_status (name, pid, last_pass_at, last_ok_at, last_error,
                                            newest_ms, lag_s, state)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET
                       pid = excluded.pid, last_pass_at = excluded.last_pass_at,
                       last_ok_at = coalesce(excluded.last_ok_at, poll_status.last_ok_at),
                       last_error = excluded.last_error,
                       newest_ms = coalesce(excluded.newest_ms, poll_status.newest_ms),
                       lag_s = coalesce(excluded.lag_s, poll_status.lag_s), state = excluded.state""",
                (
                    self.cfg.name,
                    _pid(),
                    now,
                    ok_at,
                    error,
                    result.cursor_ms if result else None,
                    result.lag_s if result else None,
                    state,
                ),
            )

    # -- the loop ----------------------------------------------------------------------

    def backoff(self) -> float:
        """Capped exponential backoff with full jitter."""
        ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** min(self.failures, 16))
        return self.rng.uniform(ceiling / 2, ceiling)

    def once(self) -> PassResult:
        """One pass; a fault is raised to the caller (``SourceUnavailable`` or ``SourceError``)."""
        try:
            result = self.run_pass()
            result.written_back = self.write_back()
        except SourceError as exc:
            self._status("failing", error=str(exc))
            raise
        self._status("ok", result=result)
        return result

    def run(self, *, passes: int | None = None) -> None:
        """Poll until stopped: retry what is worth retrying, report the rest, and go on."""
        done = 0
        while not self.stop.is_set() and (passes is None or done < passes):
            try:
                result = self.once()
            except OperationalError as exc:
                # the workspace's database went away (a PostgreSQL restart, a network cut):
                # the page in flight was rolled back with its cursor, so nothing is lost
                self.failures += 1
                wait = self.backoff()
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self.report(
                    f"{self.cfg.name}: the workspace is unreachable ({first}); reconnecting in {wait:.1f}s"
                )
                self.stop.wait(wait)
                self._reconnect()
                continue
            except SourceUnavailable as exc:
                self.failures += 1
                wait = self.backoff()
                self.report(f"{exc}; retrying in {wait:.1f}s (attempt {self.failures})")
            except SourceError as exc:
                self.failures += 1
                wait = max(self.cfg.interval, self.backoff())
                self.report(f"{exc}; trying again in {wait:.0f}s")
            else:
                if self.failures:
                    self.report(f"{self.cfg.name}: reachable again after {self.failures} failed attempts")
                self.failures = 0
                done += 1
                self.report(result.line())
                wait = self.cfg.interval
            if passes is not None and done >= passes:
                break
            self.stop.wait(wait)

    def _reconnect(self) -> None:
        """Open the workspace again (the next pass fails again, and waits longer, if it is
        still away)."""
        with contextlib.suppress(*DatabaseError):
            self.ws.close()
        try:
            ws = Workspace.open(self.ws.location)
        except WorkspaceError:
            return
        except DatabaseError:
            return
        self.commands = Commands(ws, self.commands.playbooks, self.commands.actor)
        self.ws = self._reopened = ws

    def close(self) -> None:
        self.backend.close()
        if self._reopened is not None:
            self._reopened.close()


def _pid() -> int:
    return os.getpid()
