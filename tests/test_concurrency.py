"""Several processes write at once (a poller and analysts): nothing lost, nothing doubled,
no "database is locked" reaches anyone, and the chain stays valid."""

from __future__ import annotations

import json
import multiprocessing as mp
import random
import traceback
from pathlib import Path

import pytest

from triage.commands import Commands
from triage.errors import CommandRejected, Conflict
from triage.playbooks import PlaybookSet
from triage.store.verify import verify_chain
from triage.store.workspace import Workspace

from .conftest import PLAYBOOKS, make_alert

WORKERS = 6
ROUNDS = 40


def _worker(db: str, name: str, rounds: int, seed: int) -> tuple[str, list[str], str | None, int]:
    """Ingest alerts (some shared with other workers, to race the dedup) and act on them."""
    try:
        ws = Workspace.open(db)
        cmds = Commands(ws, PlaybookSet.from_directory(PLAYBOOKS), name)
        rng = random.Random(seed)
        mine: list[str] = []
        conflicts = 0
        for i in range(rounds):
            doc_id = f"{name}-{i}" if rng.random() < 0.8 else f"shared-{i}"
            result = cmds.ingest([make_alert(doc_id=doc_id, index="race")])
            mine.append(doc_id)
            ids = [r[0] for r in ws.conn.execute("SELECT id FROM alerts ORDER BY random() LIMIT 3")]
            for alert in ids + result.alert_ids:
                try:
                    seen = ws.conn.execute("SELECT last_seq FROM alerts WHERE id = ?", (alert,)).fetchone()[0]
                    cmds.note(alert, f"{name} round {i}")
                    if rng.random() < 0.3:
                        cmds.acknowledge(alert)
                    if rng.random() < 0.2:  # acting on what one saw before one's own note: refused
                        try:
                            cmds.note(alert, "stale", expected_seq=seen)
                        except Conflict:
                            conflicts += 1
                        else:
                            raise AssertionError(f"alert {alert}: a stale expected_seq was accepted")
                except Conflict:
                    raise
                except CommandRejected:
                    pass  # another analyst got there first: a clear refusal, not an error
        ws.close()
        return name, mine, None, conflicts
    except Exception:  # noqa: BLE001 - report everything back to the test, which fails on it
        return name, [], traceback.format_exc(), 0


@pytest.mark.slow
def test_concurrent_writer_processes(ws_location: str | Path) -> None:
    db = ws_location
    Workspace.create(db).close()
    ctx = mp.get_context("spawn")
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(_worker, [(str(db), f"analyst{i}", ROUNDS, i) for i in range(WORKERS)])
    errors = [err for _name, _ids, err, _c in results if err]
    assert sum(c for *_rest, c in results) > 0  # stale views were refused, across processes
    assert not errors, errors[0]

    ws = Workspace.open(db)
    try:
        expected_ids = {doc for _name, ids, _err, _c in results for doc in ids}
        stored = [r[0] for r in ws.conn.execute("SELECT doc_id FROM alerts")]
        assert sorted(stored) == sorted(expected_ids)  # every alert once: none lost, none doubled
        ingest_events = ws.conn.execute(
            "SELECT count(*) FROM events WHERE action = 'alert.ingested'"
        ).fetchone()[0]
        assert ingest_events == len(expected_ids)
        notes = ws.conn.execute("SELECT count(*) FROM events WHERE action = 'alert.noted'").fetchone()[0]
        note_total = int(ws.conn.execute("SELECT sum(notes) FROM alerts").fetchone()[0])
        assert notes == note_total > WORKERS * ROUNDS
        report = verify_chain(ws.conn)
        assert report.ok, report.problems[:3]
        assert report.events_valid == report.events_total
        actors = {json.loads(r[0])["actor"] for r in ws.conn.execute("SELECT body FROM events")}
        assert actors == {f"analyst{i}" for i in range(WORKERS)}
    finally:
        ws.close()
