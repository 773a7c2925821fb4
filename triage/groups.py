"""The queue grouped: alerts of one view gathered by rule, host, user, source IP or playbook.

Each group has its key (None for alerts without one), how many alerts it holds, the worst
severity among them and the earliest due time of their running targets (the one to act on
first). ``members`` reads a group's alerts in the view's order, with the last event of each as
it was read, so acting on a group is the same per-alert commands as acting on a selection.
Used by ``triage alerts --group-by`` and the app's grouped queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from triage.domain.alert import Severity
from triage.errors import CommandRejected
from triage.queue import COLUMNS, QueueRow, QueueView
from triage.store.backend import Conn
from triage.store.tables import DUE_AT, SEVERITY_RANK

# what a group is by -> the column of the alerts table
GROUP_BY: dict[str, str] = {
    "rule": "rule_name",
    "host": "host",
    "user": "user_name",
    "src_ip": "src_ip",
    "playbook": "playbook_id",
}
_SEVERITY_OF_RANK = {s.rank: s.value for s in Severity}


@dataclass(frozen=True, slots=True)
class Group:
    by: str
    key: str | None
    count: int
    worst: str
    first_due: str | None


def _column(by: str) -> str:
    if by not in GROUP_BY:
        raise CommandRejected(f"cannot group by {by!r} (use {', '.join(GROUP_BY)})")
    return GROUP_BY[by]


def groups(conn: Conn, view: QueueView, by: str, *, now: datetime | None = None) -> list[Group]:
    """The view's alerts by ``by``: worst severity first, then the biggest, then by key."""
    column = _column(by)
    where, args = view.where(now=now)
    # coalesce(c, c): the same values, but no index on c is walked (random reads); one pass over
    # the table in storage order with a sort of the groups is about twice as fast.
    sql = (
        f"SELECT coalesce({column}, {column}), count(*), max({SEVERITY_RANK}), min({DUE_AT})"  # noqa: S608
        f" FROM alerts{where} GROUP BY 1 ORDER BY 3 DESC, 2 DESC, max({column}) IS NULL, 1"
    )
    return [
        Group(by, key, int(n), _SEVERITY_OF_RANK.get(int(rank), "informational"), due)
        for key, n, rank, due in conn.execute(sql, args)
    ]


def members(
    conn: Conn, view: QueueView, by: str, key: str | None, *, now: datetime | None = None
) -> list[QueueRow]:
    """The alerts of one group, in the view's order."""
    column = _column(by)
    where, args = view.where(now=now)
    test = f"{column} IS NULL" if key is None else f"{column} = ?"
    where = f"{where} AND {test}" if where else f" WHERE {test}"
    if key is not None:
        args.append(key)
    sql = f"SELECT {COLUMNS} FROM alerts{where}{view.order_by(by_index=False)}"  # noqa: S608
    return [QueueRow(*r) for r in conn.execute(sql, args)]
