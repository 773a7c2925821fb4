"""The read model of the alert list: one view (filters and a sort) for every shell.

A ``QueueView`` is a filter (status view, severity, assignee / mine / unassigned, playbook,
incident, a query in the search language of ``triage.query``) and a sort order; its
``where``, ``order_by`` and ``select`` are the one way an alert list is read, by the
terminal app's queue (``Queue``, one page at a time) and by ``triage.queries.list_alerts``
(the CLI's ``triage alerts``, ``triage incident``). Every sort order of the app's columns
walks an index (see ``triage.store.schema``), so the first page of a queue of a hundred
thousand alerts costs about as much as the first page of a queue of ten: a screen asks for
the rows it shows, never for all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from triage.clock import format_ts, parse_time, utc_now
from triage.domain.alert import Severity
from triage.domain.state import running_due
from triage.errors import CommandRejected
from triage.query import Query, parse
from triage.store.backend import Conn
from triage.store.tables import DUE_AT, NULLABLE_SORT, SEVERITY_RANK

STATUS_VIEWS = ("open", "mine", "unassigned", "new", "acknowledged", "closed", "all")

# column name -> SQL sort keys, the order of an index (the alert id breaks the last ties)
SORT_KEYS: dict[str, tuple[str, ...]] = {
    "id": (),
    "severity": (SEVERITY_RANK, "ingested_at"),
    "status": ("status", "severity"),
    "assignee": ("assignee",),
    "age": ("ingested_at",),
    "fired": ("fired_at",),
    "due": (DUE_AT,),
    "title": ("title",),
    "host": ("host", "fired_at"),
    "user": ("user_name", "fired_at"),
    "src_ip": ("src_ip",),
}
# The listing's order (most severe first, then the newest fired): what ``triage alerts`` prints.
LISTING_SORT = "listing"
_ORDERS: dict[str, tuple[str, ...]] = {**SORT_KEYS, LISTING_SORT: (SEVERITY_RANK, "fired_at")}

COLUMNS = (
    "id, severity, status, assignee, ingested_at, fired_at, ack_due, close_due, acknowledged_at,"
    " closed_at, title, rule_name, host, user_name, src_ip, playbook_id, incident_id, last_seq,"
    " first_closed_at, closed_by"
)


@dataclass(frozen=True, slots=True)
class QueueRow:
    id: int
    severity: str
    status: str
    assignee: str | None
    ingested_at: str
    fired_at: str
    ack_due: str | None
    close_due: str | None
    acknowledged_at: str | None
    closed_at: str | None
    title: str
    rule_name: str | None
    host: str | None
    user_name: str | None
    src_ip: str | None
    playbook_id: str | None
    incident_id: int | None
    last_seq: int
    first_closed_at: str | None
    closed_by: str | None

    @property
    def due(self) -> str | None:
        """The due time of the target that runs now (``triage.domain.state.running_due``)."""
        return running_due(self.status, self.ack_due, self.close_due, self.first_closed_at)


@dataclass(frozen=True, slots=True)
class QueueView:
    """What the analyst asked to see. ``analyst`` is who "mine" means.

    ``status`` is a status view (``STATUS_VIEWS``: "mine" and "unassigned" are open alerts of
    the analyst's and of nobody's). ``severity`` is one severity or a tuple of several (any of
    them); ``assignee``, ``unassigned`` and ``incident`` narrow any status view further, and so
    does ``text``, a query (``triage.query``; ``QuerySyntaxError`` if it cannot be read)."""

    analyst: str = ""
    status: str = "open"
    severity: str | tuple[str, ...] | None = None
    playbook: str | None = None
    text: str = ""
    sort: str = "severity"
    descending: bool = True
    assignee: str | None = None
    unassigned: bool = False
    incident: int | None = None
    query: Query = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "query", parse(self.text))
        if self.status not in STATUS_VIEWS:
            raise CommandRejected(f"unknown status view {self.status!r} (use {', '.join(STATUS_VIEWS)})")
        if self.sort not in _ORDERS:
            raise CommandRejected(f"cannot sort by {self.sort!r} (use {', '.join(SORT_KEYS)})")
        try:
            if isinstance(self.severity, str):
                object.__setattr__(self, "severity", Severity.parse(self.severity).value)
            elif self.severity is not None:
                several = tuple(Severity.parse(s).value for s in self.severity)
                object.__setattr__(self, "severity", several or None)
        except ValueError as exc:
            raise CommandRejected(str(exc)) from None

    def with_(self, **changes: Any) -> QueueView:
        return replace(self, **changes)

    def sorted_by(self, column: str) -> QueueView:
        """Sort by ``column``; asking again for the same column flips the direction."""
        if column == self.sort:
            return replace(self, descending=not self.descending)
        return replace(self, sort=column, descending=column in ("severity", "age", "fired"))

    def where(self, *, with_status: bool = True, now: datetime | None = None) -> tuple[str, list[Any]]:
        """The view's condition; ``now`` is what the query's ``breached`` and ``now-1h`` mean."""
        clauses: list[str] = []
        args: list[Any] = []
        if with_status:
            if self.status in ("open", "mine", "unassigned"):
                clauses.append("status != 'closed'")
            elif self.status != "all":
                clauses.append("status = ?")
                args.append(self.status)
            if self.status == "mine":
                clauses.append("assignee = ?")
                args.append(self.analyst)
            elif self.status == "unassigned":
                clauses.append("assignee IS NULL")
        if self.unassigned:
            clauses.append("assignee IS NULL")
        elif self.assignee:
            clauses.append("assignee = ?")
            args.append(self.assignee)
        if isinstance(self.severity, str):
            clauses.append("severity = ?")
            args.append(self.severity)
        elif self.severity:
            clauses.append(f"severity IN ({', '.join('?' * len(self.severity))})")
            args.extend(self.severity)
        if self.playbook:
            clauses.append("playbook_id = ?")
            args.append(self.playbook)
        if self.incident is not None:
            clauses.append("incident_id = ?")
            args.append(self.incident)
        if not self.query.empty:
            condition, params = self.query.sql(now)
            clauses.append(condition)
            args.extend(params)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), args

    def holds(self, status: str, assignee: str | None) -> bool:
        """The status view's test, in Python (for rows a search has already read)."""
        if self.status in ("open", "mine", "unassigned"):
            if status == "closed":
                return False
            if self.status == "mine":
                return assignee == self.analyst
            return self.status == "open" or assignee is None
        return self.status in ("all", status)

    def order_by(self, *, by_index: bool = True) -> str:
        """The view's order; a column's blanks come last either way. Without ``by_index`` it is
        spelled so that no index can give it (``coalesce(key, key)``, the same values, portable),
        so an index serves the condition, or the table is read in storage order (a walk along a
        sort index fetches rows in random order, several times slower)."""
        d = "DESC" if self.descending else "ASC"
        keys = (*_ORDERS[self.sort], "id")
        if not by_index:
            keys = tuple(f"coalesce({key}, {key})" for key in keys)
        terms = [f"{key} {d}" for key in keys]
        if not self.descending and self.sort in NULLABLE_SORT:
            terms[0] += " NULLS LAST"
        return " ORDER BY " + ", ".join(terms)

    def select(
        self, columns: str = COLUMNS, *, limit: int | None = None, offset: int = 0
    ) -> tuple[str, list[Any]]:
        """The query of the view's alerts in its order (``limit`` of them from ``offset``)."""
        where, args = self.where()
        sql = f"SELECT {columns} FROM {_source(self)}{where}{self.order_by()}"  # noqa: S608
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args.extend([limit, max(offset, 0)])
        return sql, args


def _source(view: QueueView) -> str:
    """The table, with a hint where the planner (which has no statistics) guesses wrong: one
    analyst's alerts are few, so reading them by assignee and sorting them beats walking the
    whole sort index to find them."""
    if view.status == "mine":
        return "alerts INDEXED BY alerts_assignee"
    return "alerts"


class _Scan:
    """Every alert a search matches, in the view's order, with what the status views need."""

    def __init__(self, key: tuple[QueueView, int, int], rows: list[tuple[int, str, str | None]]) -> None:
        self.key = key
        self.rows = rows
        self.ids: dict[QueueView, list[int]] = {}


class Queue:
    """Pages of alerts for one view, straight from the projection (read-only).

    Without a query each call is one indexed query that stops after the rows it needs. A
    query (free words are substrings of the title and the rule) reads the matching alerts once,
    keeps their ids in the view's order, and answers counts, pages and positions from them
    until the view or the log changes, or the minute does (``breached``, ``now-1h``)."""

    def __init__(self, conn: Conn, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.conn = conn
        self.clock = clock  # what "now" is for a query (the app's clock)
        self._scan: _Scan | None = None

    def _searched(self, view: QueueView) -> _Scan | None:
        if view.query.empty:
            return None
        head = self.conn.execute("SELECT max(seq) FROM events").fetchone()[0] or 0
        now = self.clock()
        key = (view.with_(status="all", analyst=""), int(head), int(now.timestamp() // 60))
        if self._scan is None or self._scan.key != key:
            where, args = key[0].where(now=now)
            sql = f"SELECT id, status, assignee FROM alerts{where}{view.order_by(by_index=False)}"  # noqa: S608
            self._scan = _Scan(key, self.conn.execute(sql, args).fetchall())
        return self._scan

    def _ids(self, view: QueueView) -> list[int] | None:
        scan = self._searched(view)
        if scan is None:
            return None
        if view not in scan.ids:
            scan.ids[view] = [i for i, status, assignee in scan.rows if view.holds(status, assignee)]
        return scan.ids[view]

    def count(self, view: QueueView) -> int:
        ids = self._ids(view)
        if ids is not None:
            return len(ids)
        where, args = view.where()
        sql = f"SELECT count(*) FROM {_source(view)}{where}"  # noqa: S608
        return int(self.conn.execute(sql, args).fetchone()[0])

    def page(self, view: QueueView, offset: int, limit: int) -> list[QueueRow]:
        ids = self._ids(view)
        if ids is not None:
            wanted = ids[max(offset, 0) : max(offset, 0) + limit]
            if not wanted:
                return []
            marks = ", ".join("?" * len(wanted))
            sql = f"SELECT {COLUMNS} FROM alerts WHERE id IN ({marks})"  # noqa: S608
            found = {r[0]: QueueRow(*r) for r in self.conn.execute(sql, wanted)}
            return [found[i] for i in wanted if i in found]
        sql, args = view.select(limit=limit, offset=offset)
        return [QueueRow(*r) for r in self.conn.execute(sql, args)]

    def status_counts(self, view: QueueView) -> dict[str, int]:
        """Alerts per status (and mine / unassigned open ones) under the view's other filters.

        Without search text: per status on the status index, then the assigned open alerts on
        the assignee index (few, even when the queue is huge: unassigned = open - assigned)."""
        scan = self._searched(view)
        if scan is not None:
            by_status: dict[str, int] = {}
            assigned = mine = 0
            for _, status, assignee in scan.rows:
                by_status[status] = by_status.get(status, 0) + 1
                if status != "closed" and assignee is not None:
                    assigned += 1
                    mine += assignee == view.analyst
        else:
            where, args = view.where(with_status=False)
            and_ = " AND " if where else " WHERE "
            sql = f"SELECT status, count(*) FROM alerts{where} GROUP BY status"  # noqa: S608
            by_status = dict(self.conn.execute(sql, args).fetchall())
            sql = f"SELECT count(*), count(CASE WHEN assignee = ? THEN 1 END) FROM alerts{where}{and_}"  # noqa: S608
            assigned, mine = self.conn.execute(
                sql + "assignee > '' AND status != 'closed'",
                [view.analyst, *args],  # in the order of the placeholders; > '': the index
            ).fetchone()
        new, ack, closed = (by_status.get(k, 0) for k in ("new", "acknowledged", "closed"))
        return {
            "all": new + ack + closed,
            "open": new + ack,
            "new": new,
            "acknowledged": ack,
            "closed": closed,
            "mine": mine,
            "unassigned": new + ack - assigned,
        }

    def position(
        self, view: QueueView, alert_id: int, *, near: int = 0, radius: int = 200, exhaustive: bool = True
    ) -> int | None:
        """Where ``alert_id`` is in the view: first looked for around ``near`` (one page), then,
        if ``exhaustive``, over the whole view (one pass); None when not found."""
        ids = self._ids(view)
        if ids is not None:
            try:
                return ids.index(alert_id)
            except ValueError:
                return None
        start = max(near - radius, 0)
        for i, row in enumerate(self.page(view, start, 2 * radius)):
            if row.id == alert_id:
                return start + i
        if not exhaustive:
            return None
        where, args = view.where()
        sql = (
            f"SELECT n FROM (SELECT id, row_number() OVER ({view.order_by().strip()}) - 1 AS n"  # noqa: S608
            f" FROM alerts{where}) AS ranked WHERE id = ?"
        )
        found = self.conn.execute(sql, [*args, alert_id]).fetchone()
        return int(found[0]) if found else None

    def playbook_ids(self) -> list[str]:
        rows = self.conn.execute(
            "SELECT DISTINCT playbook_id FROM alerts WHERE playbook_id IS NOT NULL ORDER BY playbook_id"
        )
        return [r[0] for r in rows]


def related_alerts(
    conn: Conn,
    alert: dict[str, Any],
    *,
    window: timedelta = timedelta(hours=24),
    limit: int = 50,
) -> list[tuple[str, QueueRow]]:
    """Alerts sharing the host, the user or the rule with ``alert`` and fired within ``window``
    of it, nearest in time first, each with what it shares (``host``, ``user``, ``rule``)."""
    fired = parse_time(alert["fired_at"])
    lo, hi = format_ts(fired - window), format_ts(fired + window)
    found: dict[int, tuple[list[str], QueueRow]] = {}
    for label, column, value in (
        ("host", "host", alert.get("host")),
        ("user", "user_name", alert.get("user_name")),
        ("rule", "rule_id", alert.get("rule_id")),
    ):
        if not value:
            continue
        sql = (
            f"SELECT {COLUMNS} FROM alerts WHERE {column} = ? AND fired_at >= ? AND fired_at <= ?"  # noqa: S608
            " AND id != ? ORDER BY fired_at DESC LIMIT ?"
        )
        for r in conn.execute(sql, (value, lo, hi, alert["id"], limit)):
            row = QueueRow(*r)
            found.setdefault(row.id, ([], row))[0].append(label)
    ranked = sorted(
        found.values(),
        key=lambda item: (abs((parse_time(item[1].fired_at) - fired).total_seconds()), item[1].id),
    )
    return [(", ".join(labels), row) for labels, row in ranked[:limit]]
