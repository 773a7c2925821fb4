"""Batched ingest writes: one statement per table per batch, the same log as one by one.

A batch is prepared in Python and written with ``executemany``; a batch whose write fails is
stored again one record at a time. Either way the log (bodies, hashes) and the projections
must be exactly those of appending every record on its own, each in its savepoint.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from triage.clock import set_clock
from triage.commands import Commands, IngestResult
from triage.commands.ingest import Ingest
from triage.domain import events as ev
from triage.playbooks import PlaybookSet
from triage.sources.base import unwrap_hit
from triage.sources.files import FileSource
from triage.store import projection
from triage.store.chain import canonical
from triage.store.identity import content_digest
from triage.store.workspace import Workspace, Writer

from .conftest import drop_pg_schema
from .test_profiles import ELASTIC_HIT, WAZUH


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    set_clock(lambda: datetime(2026, 10, 7, 9, 30, tzinfo=UTC))
    yield
    set_clock(None)


def _elastic(n: int, **fields: Any) -> dict[str, Any]:
    hit = copy.deepcopy(ELASTIC_HIT)
    hit["_id"] = f"e-{n}"
    hit["_source"]["kibana.alert.uuid"] = f"e-{n}"
    hit["_source"].update(fields)
    return hit


def _lines() -> list[str]:
    """Every outcome, more than once and interleaved: new, present, updated (which reads the
    stored alert back), collision, quarantined (twice the same: the second is present)."""
    wazuh_other = {**WAZUH, "data": {"srcip": "192.0.2.1", "dstuser": "admin"}}
    lines = [json.dumps(_elastic(i)) for i in range(6)]
    lines += [
        json.dumps(WAZUH),
        '{"truncated": ',
        json.dumps(_elastic(1)),  # present
        json.dumps(_elastic(2, **{"kibana.alert.workflow_status": "acknowledged"})),  # updated
        json.dumps(wazuh_other),  # a collision: same id, other content
        json.dumps(_elastic(6, **{"kibana.alert.rule.name": "refused"})),
        '{"truncated": ',  # the same bad line again (another line number: quarantined again)
        json.dumps(_elastic(7)),
        json.dumps(_elastic(2, **{"kibana.alert.workflow_status": "closed"})),  # updated again
        json.dumps(_elastic(8)),
    ]
    return lines


def _ingest(location: str | Path, playbooks: PlaybookSet, nd: Path, *, batch: bool, refuse: bool) -> Any:
    ws = Workspace.create(location)
    try:
        if refuse:
            _refuse_title(ws, "refused")
        cmds = Commands(ws, playbooks, "alice")
        result = IngestResult()
        ingest = Ingest(cmds, batch_writes=batch)
        for _ in range(2):  # the second time, every record is present
            result.add(ingest.records(FileSource(str(nd)).records()))
        log = ws.conn.execute("SELECT seq, ts, action, target, body, prev_hash, hash FROM events")
        return result.as_dict(), sorted(log.fetchall()), projection.digest(ws.conn)
    finally:
        ws.close()


def _refuse_title(ws: Workspace, title: str) -> None:
    """A database that refuses one alert row: a write-time failure of one record of a batch."""
    if ws.postgres:
        ws.conn.raw.execute(  # type: ignore[attr-defined]
            "CREATE FUNCTION refuse_title() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF NEW.title = '{title}' THEN RAISE EXCEPTION 'refused by the test'; END IF;"
            " RETURN NEW; END $$;"
            "CREATE TRIGGER refuse_title BEFORE INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION refuse_title()"
        )
    else:
        ws.conn.execute(
            f"CREATE TRIGGER refuse_title BEFORE INSERT ON alerts WHEN NEW.title = '{title}'"
            " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )


def _second(location: str | Path, tmp_path: Path) -> str | Path:
    if isinstance(location, Path):
        return tmp_path / "one-by-one.db"
    return location.replace("?schema=", "?schema=b")


@pytest.mark.parametrize("refuse", [False, True], ids=["clean", "a-row-refused"])
def test_a_batched_ingest_logs_exactly_what_one_by_one_appends_log(
    ws_location: str | Path,
    playbooks: PlaybookSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    refuse: bool,
) -> None:
    nd = tmp_path / "mixed.ndjson"
    nd.write_text("\n".join(_lines()) + "\n", encoding="utf-8")
    appended: Counter[str] = Counter()
    append = Writer.append

    def counting(self: Writer, actor: str, action: str, *args: Any, **kwargs: Any) -> Any:
        appended[action] += 1
        return append(self, actor, action, *args, **kwargs)

    monkeypatch.setattr(Writer, "append", counting)
    batched = _ingest(ws_location, playbooks, nd, batch=True, refuse=refuse)
    by_batch = dict(appended)
    appended.clear()
    other = _second(ws_location, tmp_path)
    try:
        one_by_one = _ingest(other, playbooks, nd, batch=False, refuse=refuse)
    finally:
        if not isinstance(other, Path):
            drop_pg_schema(other)

    result, log, digest = batched
    assert result["updated"] == 2 and result["collisions"] == 1 and result["present"] > 0
    attempts = result["ingested"] + result["collisions"] + 2 * refuse  # refused in both passes
    if refuse:
        assert result["quarantined"] == 3 and "refused by the test" in " ".join(result["problems"])
        assert result["ingested"] == 9
        # the refused write sent the batch back one record at a time
        assert by_batch[ev.ALERT_INGESTED] == attempts
    else:
        assert result["quarantined"] == 2 and result["ingested"] == 10
        # written in one statement per table: only the updates went one by one
        assert by_batch == {ev.ALERT_UPDATED: 2}
    assert appended[ev.ALERT_INGESTED] == attempts
    assert one_by_one[0] == result
    assert [r[1:] for r in log] == [r[1:] for r in one_by_one[1]]  # the same bodies and hashes
    assert [r[0] for r in log] == list(range(1, len(log) + 1))
    assert digest == one_by_one[2]


def test_a_polled_hit_is_logged_as_the_canonical_encoding_of_its_payload(
    ws: Workspace, playbooks: PlaybookSet
) -> None:
    """Hits a search client decoded have no source text: the log holds the canonical JSON of
    the payload (the document encoded once, for its digest and the body)."""
    nested = {"b": [1, {"z": None, "a": True}]}
    hits = [_elastic(i, note="caf\u00e9 \u2603", score=0.1 + i, nested=nested) for i in range(3)]
    hits[0]["sort"] = [1759399200000, 7]
    records = [unwrap_hit("prod", f"{h['_index']}/{h['_id']}", h) for h in hits]
    assert all(r.text is None for r in records)
    cmds = Commands(ws, playbooks, "alice")
    result = cmds.ingest_polled(records, source="prod", profile=None, cursor_ms=None)
    assert result.ingested == 3
    rows = ws.conn.execute("SELECT body FROM events WHERE action = ? ORDER BY seq", (ev.ALERT_INGESTED,))
    bodies = [r[0] for r in rows]
    assert len(bodies) == 3
    for body, hit in zip(bodies, hits, strict=True):
        decoded = json.loads(body)
        assert canonical(decoded) == body
        assert decoded["payload"]["alert"]["raw"] == hit
        assert decoded["payload"]["digest"] == content_digest(hit["_source"])


def test_the_cycle_collector_is_paused_while_a_batch_is_read_and_stored_and_runs_again_after(
    ws: Workspace, playbooks: PlaybookSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import weakref

    import triage.commands.ingest as ingest_module

    monkeypatch.setattr(ingest_module, "INGEST_BATCH", 2)
    seen: list[bool] = []
    made: list[weakref.ref[Any]] = []

    class Node:
        other: Any = None

    def records() -> Iterator[Any]:
        for n in range(5):
            seen.append(gc.isenabled())
            a, b = Node(), Node()
            a.other, b.other = b, a  # a cycle: only the collector frees it
            made.append(weakref.ref(a))
            del a, b
            yield unwrap_hit("f", f"line {n}", _elastic(n))

    assert gc.isenabled()
    result = Commands(ws, playbooks, "alice").ingest_records(records())
    assert result.ingested == 5
    assert seen == [False] * 5  # paused while each batch was read (and stored)
    assert gc.isenabled()  # and running again after
    gc.collect()
    assert all(ref() is None for ref in made)  # the cycles the batches made are collected

    def failing() -> Iterator[Any]:
        yield unwrap_hit("f", "line 1", _elastic(9))
        raise OSError("the file went away")

    with pytest.raises(OSError, match="went away"):
        Commands(ws, playbooks, "alice").ingest_records(failing())
    assert gc.isenabled()

    polled = Commands(ws, playbooks, "alice").ingest_polled(
        [unwrap_hit("prod", "i/p-1", _elastic(20))], source="prod", profile=None, cursor_ms=None
    )
    assert polled.ingested == 1 and gc.isenabled()


def test_the_cycle_collector_is_paused_while_a_write_transaction_is_open(ws: Workspace) -> None:
    import gc

    assert gc.isenabled()
    with ws.write():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="refused"), ws.write():
        assert not gc.isenabled()
        raise RuntimeError("refused")
    assert gc.isenabled()  # running again after a transaction that failed
    gc.disable()  # paused by someone else: left to them
    try:
        with ws.write():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_an_ingests_checkpoints_run_in_a_thread_of_their_own_and_stop_with_it(
    ws: Workspace, playbooks: PlaybookSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While an ingest runs, a thread with its own connection checkpoints the SQLite file after
    each batch's commit and the writer's connection checkpoints only past the backstop; both
    are as before once it ends, a failed ingest too. Nothing of the log changes for it."""
    import threading

    import triage.commands.ingest as ingest_module
    from triage.store.backend import sqlite as sqlite_backend
    from triage.store.verify import verify_chain

    monkeypatch.setattr(ingest_module, "INGEST_BATCH", 3)
    made: list[Any] = []
    during: list[int] = []

    class Seen(sqlite_backend.Checkpointer):
        def __init__(self, path: Path) -> None:
            super().__init__(path)
            made.append(self)

    monkeypatch.setattr(sqlite_backend, "Checkpointer", Seen)

    def records(n: int, fail: bool = False) -> Iterator[Any]:
        for i in range(n):
            if ws.path is not None:
                during.append(ws.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
            yield unwrap_hit("f", f"line {i}", _elastic(i))
        if fail:
            raise OSError("the file went away")

    cmds = Commands(ws, playbooks, "alice")
    assert cmds.ingest_records(records(10)).ingested == 10
    with pytest.raises(OSError, match="went away"):
        cmds.ingest_records(records(4, fail=True))
    assert not [t for t in threading.enumerate() if t.name == "triage-checkpoints"]
    assert verify_chain(ws.conn).ok
    _, same = ws.rebuild(dry_run=True)
    assert same
    if ws.path is None:  # PostgreSQL: nothing to checkpoint
        assert made == []
        return
    assert len(made) == 2 and made[0].done >= 1 and made[1].done >= 1  # and the last when it ended
    assert set(during) == {sqlite_backend.BACKGROUND_BACKSTOP_PAGES}
    assert ws.conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == sqlite_backend.WAL_CHECKPOINT_PAGES
