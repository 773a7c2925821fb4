"""Input from sources: ingest (``triage.commands.ingest``), a poller's pages and the status
triage wrote back to a source."""

from __future__ import annotations

from collections.abc import Iterable

from triage.commands.base import CommandBase
from triage.commands.ingest import Ingest, IngestResult
from triage.domain import events as ev
from triage.domain.alert import Alert
from triage.sources.base import RawRecord
from triage.store.collector import collector_paused
from triage.store.workspace import Event


class SourceCommands(CommandBase):
    """Ingest and what sources report."""

    def ingest_records(
        self, records: Iterable[RawRecord], *, source: str | None = None, profile: str | None = None
    ) -> IngestResult:
        """Map and store records; what cannot be read, mapped or stored is quarantined."""
        return Ingest(self).records(records, source=source, profile=profile)

    def ingest(self, alerts: Iterable[Alert]) -> IngestResult:
        return Ingest(self).alerts(alerts)

    def ingest_polled(
        self,
        records: list[RawRecord],
        *,
        source: str,
        profile: str | None,
        cursor_ms: int | None,
    ) -> IngestResult:
        """One page from a search server: its alerts and the source's new cursor, in one
        transaction, so a crash can never commit one without the other."""
        ingest = Ingest(self)
        with collector_paused():
            return self._polled(ingest, records, source, profile, cursor_ms)

    def _polled(
        self,
        ingest: Ingest,
        records: list[RawRecord],
        source: str,
        profile: str | None,
        cursor_ms: int | None,
    ) -> IngestResult:
        items = ingest.map(records, source, profile)
        with self.ws.write() as w:
            # Two clusters can hold the same index name and id: the source name keeps them apart.
            result = ingest.store(w, items, namespace=f"source:{source}")
            row = self.ws.conn.execute(
                "SELECT cursor_ms FROM source_cursors WHERE name = ?", (source,)
            ).fetchone()
            moved = cursor_ms is not None and (row is None or row[0] is None or cursor_ms > row[0])
            counts = result.counts()
            if moved or any(v for k, v in counts.items() if k != "present"):
                w.append(
                    self.actor,
                    ev.SOURCE_POLLED,
                    f"source:{source}",
                    {"cursor_ms": cursor_ms if moved else (row[0] if row else None), **counts},
                )
        return result

    def record_source_update(self, alert_id: int, status: str) -> Event:
        """Log that the alert's workflow status was set to ``status`` in its source."""
        with self.ws.write() as w:
            self._alert(alert_id)
            return self._alert_event(w, alert_id, ev.ALERT_SOURCE_UPDATED, {"status": status})
