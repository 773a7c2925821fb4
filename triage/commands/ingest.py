"""Ingest: received documents become alerts, updates of alerts, or quarantined records.

One rule decides, for files and polling alike (``store.identity``): a document whose key and
content were received before is *already present*; a known key with new content is an *update*
where the source rewrites alerts in place (Elastic Security) and a *key collision* elsewhere,
stored as an alert of its own; everything else is a new alert. Nothing is dropped: a record that
cannot be read, mapped or stored is quarantined with its reason, and the rest of its batch lands.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from triage.commands.base import CommandBase
from triage.commands.held import Known, holds, known_keys
from triage.commands.ingest_result import IngestResult as IngestResult
from triage.commands.suppressions import ActiveRules, close_if_suppressed, may_suppress
from triage.domain import events as ev
from triage.domain.alert import Alert, Severity, escape_surrogates
from triage.errors import CommandRejected, MappingError
from triage.mapping import PROFILES, map_document
from triage.mapping.lookup import get
from triage.playbooks.model import Playbook
from triage.sources.base import RawRecord
from triage.store.backend import Conn, OperationalError
from triage.store.chain import canonical, canonical_plain, canonical_with
from triage.store.collector import collector_paused
from triage.store.identity import (
    DIGEST_PREFIX,
    changed_fields,
    content_digest,
    source_document,
    without_field,
)
from triage.store.workspace import Event, Writer

# Records per transaction. A commit's cost is paid once per batch, and in a large workspace an
# index keyed by something random (the key's number, the source IP) takes a page per alert
# until a batch's alerts share pages: 4,000 a batch wrote a sixth fewer pages an alert than
# 2,000 into a million alerts, for about 50 MB more memory while a file is read.
INGEST_BATCH = 4000
MAX_REASON = 500


@dataclass
class _Item:
    record: RawRecord
    alert: Alert | None = None
    reason: str | None = None  # why it is quarantined
    key: str = ""
    digest: str = ""
    raw_text: str | None = None  # the JSON text of the kept document: as received, or canonical


def alert_key(alert: Alert, doc: Any, digest: str, *, from_index: bool) -> str:
    """Which alert a document is about: its index and id where a search index gives them; a
    file's document by its id within its profile (and scope: a Wazuh id is unique per manager
    only); a document without an id by its content."""
    if alert.doc_id:
        prof = PROFILES.get(alert.profile)
        scope = None
        if not from_index and prof is not None and prof.scope is not None and isinstance(doc, dict):
            scope = prof.scope(doc)
        where = alert.index or alert.profile
        return escape_surrogates(f"{where}/{scope}/{alert.doc_id}" if scope else f"{where}/{alert.doc_id}")
    return digest


def collision_key(key: str, digest: str) -> str:
    """The key a collision (a document under ``key`` with other content, ``digest``) is stored
    under: the key and the first 16 hex digits of the content's digest."""
    return f"{key}#{digest.removeprefix(DIGEST_PREFIX)[:16]}"


def _reason(text: str) -> str:
    text = escape_surrogates(text)
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


class Ingest:
    """The ingest commands of ``Commands``; every write goes through its workspace's writer."""

    def __init__(self, commands: CommandBase, *, batch_writes: bool = True) -> None:
        self.c = commands
        self.ws = commands.ws
        self._rules: ActiveRules | None = None
        self.batch_writes = batch_writes  # False: every record in a savepoint of its own

    # -- reading and mapping -------------------------------------------------------------

    def records(
        self, records: Iterable[RawRecord], *, source: str | None = None, profile: str | None = None
    ) -> IngestResult:
        """Map and store records in batches of INGEST_BATCH, one transaction each."""
        total = IngestResult()
        it = iter(records)
        with self.ws.background_checkpoints():
            while True:
                with collector_paused():  # reading the batch too: that is where documents are made
                    batch = list(itertools.islice(it, INGEST_BATCH))
                    if not batch:
                        return total
                    total.add(self._batch(batch, source, profile))

    def _batch(self, batch: list[RawRecord], source: str | None, profile: str | None) -> IngestResult:
        items = self.map(batch, source, profile)
        with self.ws.write() as w:
            return self.store(w, items)

    def alerts(self, alerts: Iterable[Alert]) -> IngestResult:
        """Store alerts mapped elsewhere (tests, tools); each is its own record."""
        items = []
        for alert in alerts:
            rec = RawRecord(alert.source, "alert", source_document(alert.raw), alert.raw)
            items.append(self._identify(_Item(rec, alert), from_index=False))
        with self.ws.write() as w:
            return self.store(w, items)

    def map(self, batch: list[RawRecord], source: str | None, profile: str | None) -> list[_Item]:
        items: list[_Item] = []
        for rec in batch:
            if rec.error is not None or rec.doc is None:
                items.append(_Item(rec, reason=rec.error or "no document"))
                continue
            try:
                alert = map_document(
                    rec.doc,
                    source=source or rec.origin,
                    raw=rec.raw,
                    index=rec.index,
                    doc_id=rec.doc_id,
                    profile=profile,
                )
                items.append(self._identify(_Item(rec, alert), from_index=rec.doc_id is not None))
            except MappingError as exc:
                items.append(_Item(rec, reason=str(exc)))
            except Exception as exc:  # noqa: BLE001 - a document no profile foresaw fails alone
                items.append(_Item(rec, reason=f"cannot be read as an alert ({type(exc).__name__}: {exc})"))
        return items

    def _identify(self, item: _Item, *, from_index: bool) -> _Item:
        assert item.alert is not None
        rec = item.record
        item.raw_text = rec.text
        if rec.text is None and isinstance(rec.raw, dict) and rec.raw.get("_source") is rec.doc:
            # A search hit decoded by the client: its document is encoded once, for its digest
            # and, embedded in the hit's canonical text, for the event's body.
            doc_text = canonical_plain(rec.doc) if rec.plain else canonical(rec.doc)
            item.digest = DIGEST_PREFIX + hashlib.sha256(doc_text.encode("ascii")).hexdigest()
            rest = {k: v for k, v in rec.raw.items() if k != "_source"}
            item.raw_text = canonical_with(rest, "_source", doc_text)
        else:
            item.digest = content_digest(rec.doc, plain=rec.plain)
        item.key = alert_key(item.alert, item.record.doc, item.digest, from_index=from_index)
        return item

    # -- storing --------------------------------------------------------------------------

    def store(self, w: Writer, items: list[_Item], *, namespace: str | None = None) -> IngestResult:
        """Store mapped items and quarantine the rest, each record on its own: one that cannot
        be stored is quarantined with the reason and the rest of the batch lands.
        ``namespace`` prefixes keys.

        The events are prepared in Python first and written with one statement per table
        (``Writer.write``); should that write fail, the batch is stored again one record at a
        time, each in a savepoint of its own, so that only the record at fault is quarantined.
        Both ways make the same events (bodies and hashes) and rows. While a suppression rule is
        in force, each new alert is tested against the rules as a stored row, right after its
        ingest event: such a batch is stored one record at a time."""
        if self.batch_writes and not may_suppress(self.ws.conn):
            try:
                with w.savepoint():
                    return self._store(w, items, namespace, staged=[])
            except OperationalError:
                raise  # the workspace itself (locked, full, unwritable): not a record's fault
            except Exception:  # noqa: BLE001, S110 - a record the batch write refused: one by one
                pass
        return self._store(w, items, namespace, staged=None)

    def _store(
        self, w: Writer, items: list[_Item], namespace: str | None, *, staged: list[Event] | None
    ) -> IngestResult:
        """With ``staged`` (a list), new alerts and quarantined records are prepared into it and
        written together; without, every record is appended in a savepoint of its own."""
        result = IngestResult()
        conn = self.ws.conn
        self._rules = None  # the suppressions active now, read once per batch
        next_id = (conn.execute("SELECT max(id) FROM alerts").fetchone()[0] or 0) + 1
        prefix = escape_surrogates(f"{namespace}|") if namespace else ""
        known = known_keys(conn, sorted({prefix + it.key for it in items if it.alert is not None}))
        quarantine = _Quarantine(conn, staged)
        for item in items:
            alert = item.alert
            if alert is None:
                self._quarantine(w, quarantine, item.record, item.reason or "unreadable", result)
                continue
            key = prefix + item.key
            k = known.setdefault(key, Known())
            if item.digest in k.digests:
                result.present += 1
                continue
            updating = k.alert_id is not None and self._updates_in_place(alert, item.record.doc)
            if updating and staged:
                # an update reads the stored alert and its last document: write what is staged
                # first (outside the record's try: a failed write is the batch's, not the record's)
                w.write(staged)
                staged.clear()
            mark = w.mark()
            try:
                with w.savepoint() if staged is None or updating else contextlib.nullcontext():
                    if k.alert_id is None:
                        ingest_seq = w.seq + 1
                        if self._new_alert(w, next_id, key, item, {}, staged) is not None:
                            result.suppressed += 1
                        k.alert_id, k.content_seq = next_id, ingest_seq
                        result.ingested += 1
                        result.alert_ids.append(next_id)
                        next_id += 1
                    elif updating:
                        if self._own_write_back(k, item):
                            result.present += 1
                            continue
                        self._update(w, k, item)
                        k.content_seq = w.seq
                        result.updated += 1
                    else:
                        unique = collision_key(key, item.digest)
                        if holds(conn, known, unique):
                            raise CommandRejected(f"its collision's key {unique} is another alert's")
                        extra = {"key": key, "collision_of": k.alert_id}
                        ingest_seq = w.seq + 1
                        if self._new_alert(w, next_id, unique, item, extra, staged) is not None:
                            result.suppressed += 1
                        result.collisions += 1
                        result.collided.append(
                            f"{item.record.origin} {item.record.location}: key {key} of alert "
                            f"{k.alert_id} with other content; stored as alert {next_id}"
                        )
                        result.alert_ids.append(next_id)
                        known[unique] = Known(alert_id=next_id, content_seq=ingest_seq)  # held from now on
                        next_id += 1
            except OperationalError:
                raise  # the workspace itself (locked, full, unwritable): not this record's fault
            except Exception as exc:  # noqa: BLE001 - one bad record must never fail its batch
                w.restore(mark)
                reason = f"could not be stored ({type(exc).__name__}: {exc})"
                self._quarantine(w, quarantine, item.record, reason, result)
                continue
            k.digests.add(item.digest)
        if staged:
            w.write(staged)
        return result

    def _updates_in_place(self, alert: Alert, doc: Any) -> bool:
        prof = PROFILES.get(alert.profile)
        return prof is not None and prof.rewrites(doc)

    def _new_alert(
        self,
        w: Writer,
        alert_id: int,
        key: str,
        item: _Item,
        extra: dict[str, Any],
        staged: list[Event] | None,
    ) -> int | None:
        """Store a new alert; the id of the suppression rule that closed it at once, if one did
        (a batch is staged only when no rule is in force)."""
        alert = item.alert
        assert alert is not None
        pb = self.c.playbooks.match(alert)
        summary = alert.summary()
        head = {"dedup_key": key, "digest": item.digest, "playbook": playbook_snapshot(pb, alert.severity)}
        head.update(extra)
        payload = {**head, "alert": {**summary, "raw": alert.raw}}
        payload_json = None
        if item.raw_text is not None:
            # Keep the source's own JSON text: exact evidence, and no re-encoding of the document.
            payload_json = canonical_with(head, "alert", canonical_with(summary, "raw", item.raw_text))
        args = (self.c.actor, ev.ALERT_INGESTED, f"alert:{alert_id}", payload)
        if staged is not None:
            staged.append(w.prepare(*args, payload_json=payload_json))
            return None
        event = w.append(*args, payload_json=payload_json)
        if self._rules is None:  # the rules in force when the batch's first alert arrived
            self._rules = ActiveRules.at(self.ws.conn, event.ts)
        return close_if_suppressed(w, alert_id, self._rules)

    def _update(self, w: Writer, k: Known, item: _Item) -> None:
        assert item.alert is not None and k.alert_id is not None
        prof = PROFILES[item.alert.profile]
        status = get(item.record.doc, prof.status_field) if prof.status_field else None
        head = {
            "digest": item.digest,
            "changed": changed_fields(self._previous_document(k), item.record.doc),
            "status": status if isinstance(status, str) else None,
        }
        payload = {**head, "raw": item.alert.raw}
        text = item.raw_text
        payload_json = canonical_with(head, "raw", text) if text is not None else None
        w.append(self.c.actor, ev.ALERT_UPDATED, f"alert:{k.alert_id}", payload, payload_json=payload_json)

    def _previous_document(self, k: Known) -> Any:
        event = self.ws.event(k.content_seq) if k.content_seq else None
        if event is None:
            return None
        p = event.payload
        return source_document(p["raw"] if event.action == ev.ALERT_UPDATED else p["alert"]["raw"])

    def _own_write_back(self, k: Known, item: _Item) -> bool:
        """Whether the new version differs from the stored one only by the status triage wrote
        back to the source (``alert.source_updated``): that change is ours, not news."""
        assert item.alert is not None
        field_name = PROFILES[item.alert.profile].status_field
        doc = item.record.doc
        if field_name is None or k.source_status is None or not isinstance(doc, dict):
            return False
        if get(doc, field_name) != k.source_status:
            return False
        before = self._previous_document(k)
        if not isinstance(before, dict):
            return False
        return canonical(without_field(before, field_name)) == canonical(without_field(doc, field_name))

    def _quarantine(
        self, w: Writer, quarantine: _Quarantine, rec: RawRecord, reason: str, result: IngestResult
    ) -> None:
        """Log unreadable input with its reason; the same bad record again is already present."""
        origin, location, reason = _reason(rec.origin), _reason(rec.location), _reason(reason)
        raw = rec.raw
        try:
            kept = canonical([rec.origin, rec.location, raw])
        except (ValueError, TypeError, RecursionError):  # too deep to encode: keep it as text
            raw = rec.text if rec.text is not None else "(not kept: nested too deeply to encode)"
            kept = canonical([rec.origin, rec.location, raw])
        key = hashlib.sha256(kept.encode("ascii")).hexdigest()
        if quarantine.holds(key):
            result.present += 1
            result.quarantined_before += 1
            return
        payload = {"origin": origin, "location": location, "reason": reason, "raw": raw, "dedup_key": key}
        quarantine.add(w, self.c.actor, key, payload)
        result.quarantined += 1
        result.problems.append(f"{origin} {location}: {reason}")


class _Quarantine:
    """The quarantine as one store sees it: what the table holds and what it staged since."""

    def __init__(self, conn: Conn, staged: list[Event] | None) -> None:
        self.conn = conn
        self.staged = staged
        self.keys: set[str] = set()  # staged, not written yet
        self.next_id: int | None = None

    def holds(self, key: str) -> bool:
        if key in self.keys:
            return True
        found = self.conn.execute("SELECT 1 FROM quarantine WHERE dedup_key = ?", (key,)).fetchone()
        return found is not None

    def add(self, w: Writer, actor: str, key: str, payload: dict[str, Any]) -> None:
        if self.next_id is None or self.staged is None:
            self.next_id = (self.conn.execute("SELECT max(id) FROM quarantine").fetchone()[0] or 0) + 1
        args = (actor, ev.INPUT_QUARANTINED, f"quarantine:{self.next_id}", payload)
        if self.staged is None:
            w.append(*args)
        else:
            self.staged.append(w.prepare(*args))
            self.keys.add(key)
        self.next_id += 1


def playbook_snapshot(pb: Playbook | None, severity: Severity) -> dict[str, Any] | None:
    """What an alert records of its playbook when it is ingested: the steps and the targets
    for its severity, so later changes to the playbook file never rewrite its history."""
    if pb is None:
        return None
    target = pb.target_for(severity)
    return {
        "id": pb.id,
        "version": pb.version,
        "steps": [s.id for s in pb.steps],
        "required": list(pb.required_steps),
        "ack_within": int(target.acknowledge.total_seconds()),
        "close_within": int(target.close.total_seconds()),
    }
