"""Severity and escalation for one alert or many (a selection, a group): a dialog, then one
command, and one event, per alert, each with the alert's last event as it was read."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text

from triage import queries
from triage.commands import Commands
from triage.domain.alert import Severity
from triage.store.workspace import Event
from triage.tui.screens.base import TriageScreen
from triage.tui.screens.escalate_dialog import EscalateDialog, EscalateForm
from triage.tui.screens.severity_dialog import SeverityDialog


def title(verb: str, targets: list[tuple[int, int]]) -> Text:
    if len(targets) == 1:
        return Text(f"{verb} alert {targets[0][0]}", style="bold")
    return Text(f"{verb} {len(targets)} alerts", style="bold")


def change_severity(
    screen: TriageScreen,
    targets: list[tuple[int, int]],
    current: str = "",
    confirmed: Callable[[], None] = lambda: None,
) -> None:
    """Ask for a severity and one reason; every alert in ``targets`` gets it (``current``: the
    one alert's severity, left out of the choices; ``confirmed`` runs once the dialog is)."""
    if not targets:
        screen.notify("No alert here to act on.", severity="warning")
        return

    def chosen(value: tuple[str, str] | None) -> None:
        if value:
            confirmed()
            sev, reason = value
            screen.request(
                f"set to {sev}",
                targets,
                lambda c, i, s: c.change_severity(i, sev, reason, expected_seq=s),
            )

    screen.app.push_screen(SeverityDialog(title("Change severity of", targets), current), chosen)


def escalate(
    screen: TriageScreen, targets: list[tuple[int, int]], confirmed: Callable[[], None] = lambda: None
) -> None:
    """Escalate ``targets`` to an open incident or a new one: the first alert opens the new
    incident (titled after it, at the worst severity among them) and the others join it."""
    if not targets:
        screen.notify("No alert here to act on.", severity="warning")
        return
    ws = screen.backend.ws
    alerts = [queries.get_alert(ws, alert_id) for alert_id, _ in targets]
    worst = max((Severity(a["severity"]) for a in alerts), key=lambda s: s.rank).value
    incidents = [(row["id"], row["title"]) for row in queries.list_incidents(ws, status="open")]

    def chosen(form: EscalateForm | None) -> None:
        if form is None:
            return
        confirmed()
        incident = form.incident_id

        def call(c: Commands, alert_id: int, seq: int) -> Event:
            nonlocal incident  # the requests run one after another in one worker
            event = c.escalate(
                alert_id, incident_id=incident, title=form.title, severity=form.severity, expected_seq=seq
            )
            incident = int(event.payload["incident"])
            return event

        screen.request("escalated", targets, call)

    dialog = EscalateDialog(title("Escalate", targets), alerts[0]["title"], worst, incidents)
    screen.app.push_screen(dialog, chosen)
