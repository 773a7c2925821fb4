"""Suppression rules, audited: created, changed and ended as events, each with an owner, a
reason of some length and an expiry (required, at most a configured maximum). A new alert an
active rule's query matches is stored and closed at once as ``suppressed`` with the rule's id
(never dropped): the close is its own ``alert.closed`` event, right after the ingest event in
the same transaction, so replaying the log rebuilds the same state without deciding again.
Open alerts are closed only when asked (``apply_to_open``), each close an event."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from triage.clock import format_ts, parse_time, utc_now
from triage.commands.base import MAX_NAME, CommandBase, _text
from triage.domain import events as ev
from triage.domain.states import Disposition
from triage.domain.suppression import SuppressionState
from triage.errors import CommandRejected, NotFound
from triage.query import Query, parse
from triage.store.backend import Conn, row_dict
from triage.store.workspace import Event, Writer

MIN_REASON = 20  # a reason an auditor can read, not "fp"
MAX_QUERY = 2000
DEFAULT_MAX_DAYS = 90
SUPPRESSION_ACTOR = "suppression"  # who closes an alert a rule matches (the rule's owner made the rule)


@dataclass
class ActiveRule:
    id: int
    query: Query
    reason: str


@dataclass
class ActiveRules:
    """The rules in force for one batch of ingest, with one SQL test of an alert row against
    all of them (the query language's own SQL, so the matching rule is defined once): the id
    of the first, lowest-numbered rule that matches."""

    rules: list[ActiveRule]
    sql: str = ""
    params: list[Any] = field(default_factory=list)

    @classmethod
    def at(cls, conn: Conn, at: str) -> ActiveRules:
        rules = active_rules(conn, at)
        now = parse_time(at)
        cases, params = [], []
        for rule in rules:
            where, args = rule.query.sql(now)
            cases.append(f"WHEN {where} THEN {int(rule.id)}")
            params.extend(args)
        sql = f"SELECT CASE {' '.join(cases)} END FROM alerts WHERE id = ?" if rules else ""  # noqa: S608
        return cls(rules, sql, params)

    def first_match(self, conn: Conn, alert_id: int) -> ActiveRule | None:
        if not self.rules:
            return None
        (rule_id,) = conn.execute(self.sql, [*self.params, alert_id]).fetchone()
        return next((r for r in self.rules if r.id == rule_id), None)


@dataclass
class Created:
    event: Event
    closed: list[int] = field(default_factory=list)


def _reason(value: str | None, what: str) -> str:
    value = _text(value, what, limit=2000)
    if len(value) < MIN_REASON:
        raise CommandRejected(
            f"{what} is too short ({len(value)} characters, at least {MIN_REASON}): say why, for the auditor"
        )
    return value


def _rule_query(text: str) -> Query:
    text = _text(text, "a suppression query", limit=MAX_QUERY)
    q = parse(text)
    if q.empty:
        raise CommandRejected("a suppression query must match something specific (an empty one matches all)")
    return q


def active_rules(conn: Conn, at: str) -> list[ActiveRule]:
    """The rules that match alerts at ``at`` (log time text), lowest id first."""
    rows = conn.execute(
        "SELECT id, query, reason FROM suppressions"
        " WHERE ended_at IS NULL AND starts_at <= ? AND expires_at > ? ORDER BY id",
        (at, at),
    ).fetchall()
    return [ActiveRule(int(i), parse(q), r) for i, q, r in rows]


def may_suppress(conn: Conn) -> bool:
    """Whether any rule has not ended (in force or not yet expired): a batch may then close
    what it stores. Reads no clock."""
    return conn.execute("SELECT 1 FROM suppressions WHERE ended_at IS NULL LIMIT 1").fetchone() is not None


def suppressed_close(rule: ActiveRule) -> dict[str, Any]:
    """The ``alert.closed`` payload of an alert closed by ``rule``."""
    return {
        "disposition": Disposition.SUPPRESSED.value,
        "reason": f"suppression {rule.id}: {rule.reason}",
        "override": None,
        "suppression": rule.id,
    }


def close_if_suppressed(w: Writer, alert_id: int, rules: ActiveRules) -> int | None:
    """Right after an alert's ingest event (same transaction): close it if a rule in force
    matches it; returns the rule's id."""
    rule = rules.first_match(w.conn, alert_id)
    if rule is None:
        return None
    w.append(SUPPRESSION_ACTOR, ev.ALERT_CLOSED, f"alert:{alert_id}", suppressed_close(rule))
    return rule.id


class SuppressionCommands(CommandBase):
    """Create, change and end suppression rules."""

    def _rule(self, rule_id: int) -> SuppressionState:
        row = row_dict(self.ws.conn.execute("SELECT * FROM suppressions WHERE id = ?", (rule_id,)))
        if row is None:
            raise NotFound(f"no suppression {rule_id}")
        return SuppressionState.from_row(row)

    @staticmethod
    def _expiry(start: datetime, expires: timedelta, max_days: int) -> str:
        if expires <= timedelta(0):
            raise CommandRejected("a suppression's expiry must be in the future")
        if expires > timedelta(days=max_days):
            raise CommandRejected(
                f"a suppression lasts at most {max_days} days (suppression_max_days in the config);"
                f" asked for {expires.days} days"
            )
        return format_ts(start + expires)

    def add_suppression(
        self,
        query: str,
        reason: str,
        expires: timedelta,
        *,
        owner: str | None = None,
        max_days: int = DEFAULT_MAX_DAYS,
        apply_to_open: bool = False,
    ) -> Created:
        """A new rule, active from now until ``expires`` from now; with ``apply_to_open`` the
        open alerts it matches are closed too, each with its own event."""
        q = _rule_query(query)
        reason = _reason(reason, "a suppression reason")
        owner = _text(owner or self.actor, "owner", limit=MAX_NAME)
        now = utc_now()
        payload = {
            "query": q.text.strip(),
            "reason": reason,
            "owner": owner,
            "starts_at": format_ts(now),
            "expires_at": self._expiry(now, expires, max_days),
            "apply_to_open": apply_to_open,
        }
        with self.ws.write() as w:
            rule_id = (self.ws.conn.execute("SELECT max(id) FROM suppressions").fetchone()[0] or 0) + 1
            created = Created(w.append(self.actor, ev.SUPPRESSION_CREATED, f"suppression:{rule_id}", payload))
            if apply_to_open:
                rule = ActiveRule(rule_id, q, reason)
                where, args = q.sql(now)
                ids = [
                    i
                    for (i,) in self.ws.conn.execute(
                        f"SELECT id FROM alerts WHERE status != 'closed' AND {where} ORDER BY id",  # noqa: S608
                        args,
                    ).fetchall()
                ]
                for alert_id in ids:
                    w.append(self.actor, ev.ALERT_CLOSED, f"alert:{alert_id}", suppressed_close(rule))
                    created.closed.append(alert_id)
            return created

    def change_suppression(
        self,
        rule_id: int,
        why: str,
        *,
        expires: timedelta | None = None,
        owner: str | None = None,
        reason: str | None = None,
        max_days: int = DEFAULT_MAX_DAYS,
    ) -> Event:
        """Extend or shorten (from now), hand over, or reword a rule that has not ended."""
        why = _reason(why, "a reason for the change")
        changes: dict[str, Any] = {}
        if expires is not None:
            changes["expires_at"] = self._expiry(utc_now(), expires, max_days)
        if owner is not None:
            changes["owner"] = _text(owner, "owner", limit=MAX_NAME)
        if reason is not None:
            changes["reason"] = _reason(reason, "a suppression reason")
        if not changes:
            raise CommandRejected("nothing to change: give a new expiry, owner or reason")
        with self.ws.write() as w:
            rule = self._rule(rule_id)
            if rule.ended_at is not None:
                raise CommandRejected(f"suppression {rule_id} ended at {rule.ended_at}; create a new one")
            return w.append(
                self.actor, ev.SUPPRESSION_CHANGED, f"suppression:{rule_id}", {"changes": changes, "why": why}
            )

    def end_suppression(self, rule_id: int, reason: str) -> Event:
        reason = _reason(reason, "a reason for ending the suppression")
        with self.ws.write() as w:
            rule = self._rule(rule_id)
            if rule.ended_at is not None:
                raise CommandRejected(f"suppression {rule_id} already ended at {rule.ended_at}")
            return w.append(self.actor, ev.SUPPRESSION_ENDED, f"suppression:{rule_id}", {"reason": reason})
