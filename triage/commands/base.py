"""What every part of the command layer shares: the actor and workspace, text checks and
the look-ups commands validate against."""

from __future__ import annotations

import re
from typing import Any

from triage.domain.states import AlertStatus
from triage.errors import CommandRejected, Conflict, NotFound
from triage.playbooks.loader import PlaybookSet
from triage.store.backend import row_dict
from triage.store.workspace import Event, Workspace, Writer

_SURROGATE = re.compile("[\ud800-\udfff]")
MAX_TEXT = 64 * 1024
MAX_NAME = 128


def _text(value: str | None, what: str, *, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        raise CommandRejected(f"{what} is required")
    if len(value) > limit:
        raise CommandRejected(f"{what} is too long ({len(value)} characters, at most {limit})")
    if _SURROGATE.search(value):
        # what a terminal hands over as bytes that are not UTF-8 (Python keeps them as lone
        # surrogates): no text can hold it, so it is refused before anything is written
        raise CommandRejected(f"{what} holds bytes that are not UTF-8 text; type it again")
    if "\x00" in value:
        raise CommandRejected(f"{what} holds a NUL character, which no workspace can store")
    return value


class CommandBase:
    """The actor and workspace every command acts for, and the look-ups they validate against."""

    def __init__(self, ws: Workspace, playbooks: PlaybookSet, actor: str) -> None:
        self.ws = ws
        self.playbooks = playbooks
        self.actor = _text(actor, "analyst name", limit=MAX_NAME)

    def _alert(self, alert_id: int, expected_seq: int | None = None) -> dict[str, Any]:
        row = row_dict(self.ws.conn.execute("SELECT * FROM alerts WHERE id = ?", (alert_id,)))
        if row is None:
            raise NotFound(f"no alert {alert_id}")
        if expected_seq is not None and row["last_seq"] != expected_seq:
            raise Conflict(
                f"alert {alert_id} changed since you looked at it (event {row['last_seq']}, "
                f"you saw {expected_seq}); reload and try again"
            )
        return row

    def _incident_exists(self, incident_id: int) -> bool:
        return bool(self.ws.conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone())

    def _open(self, row: dict[str, Any], doing: str) -> None:
        if row["status"] == AlertStatus.CLOSED:
            raise CommandRejected(f"alert {row['id']} is closed; reopen it before you {doing}")

    def _alert_event(self, w: Writer, alert_id: int, action: str, payload: dict[str, Any]) -> Event:
        return w.append(self.actor, action, f"alert:{alert_id}", payload)
