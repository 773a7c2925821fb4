"""Which documents are the same alert: same key and same content, never only the same key.

Also: one bad record never fails its batch (files and polling), and a crafted log cannot
put its keys into SQL when it is replayed."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from triage import queries
from triage.commands import Commands
from triage.commands.ingest import collision_key
from triage.playbooks import PlaybookSet
from triage.sources.base import unwrap_hit
from triage.sources.files import FileSource
from triage.store import projection
from triage.store.backend import Conn
from triage.store.identity import content_digest, key_hash
from triage.store.verify import verify_chain
from triage.store.workspace import Workspace

from .conftest import make_alert
from .store_helpers import alert_indexes, columns, migrated_again
from .test_corpus import every_corpus_file

GOOD = (
    '{"@timestamp": "2026-10-01T00:00:00Z", "event": {"kind": "alert", "severity": "%s"},'
    ' "rule": {"name": "%s"}}'
)


def _wazuh(manager: str, alert_id: str, rule: str, srcip: str) -> dict[str, Any]:
    return {
        "timestamp": "2026-10-01T08:00:00.000+0000",
        "rule": {"level": 10, "description": rule, "id": "5712", "groups": ["sshd"]},
        "agent": {"id": "001", "name": "web-01"},
        "manager": {"name": manager},
        "id": alert_id,
        "data": {"srcip": srcip},
        "decoder": {"name": "sshd"},
    }


def _elastic(uuid: str, status: str, last_detected: str) -> dict[str, Any]:
    return {
        "_index": ".internal.alerts-security.alerts-default-000001",
        "_id": uuid,
        "_source": {
            "@timestamp": "2026-10-01T08:00:00.000Z",
            "kibana.alert.uuid": uuid,
            "kibana.alert.rule.name": "Suspicious PowerShell",
            "kibana.alert.severity": "high",
            "kibana.alert.workflow_status": status,
            "kibana.alert.last_detected": last_detected,
        },
    }


def _ndjson(path: Path, docs: list[Any], **dumps: Any) -> Path:
    path.write_text("".join(json.dumps(d, **dumps) + "\n" for d in docs), encoding="utf-8")
    return path


def _ingest(cmds: Commands, path: Path) -> Any:
    return cmds.ingest_records(FileSource(str(path)).records())


def test_wazuh_alerts_sharing_an_id_are_all_kept(ws: Workspace, cmds: Commands, tmp_path: Path) -> None:
    # Wazuh ids are unique per manager only: two managers, and one that repeats its own ids
    docs = [_wazuh("manager-a", "1580123327.49031", f"rule {n}", f"198.51.100.{n}") for n in range(5)]
    docs += [_wazuh("manager-b", "1580123327.49031", "rule 0", "198.51.100.0")]
    result = _ingest(cmds, _ndjson(tmp_path / "alerts.json", docs))
    # manager b's alert has a key of its own; manager a's repeats are collisions, not duplicates
    assert (result.ingested, result.collisions, result.present) == (2, 4, 0)
    assert ws.conn.execute("SELECT count(*) FROM alerts").fetchone()[0] == 6
    collided = ws.conn.execute("SELECT count(*) FROM alerts WHERE collision_of IS NOT NULL").fetchone()[0]
    assert collided == 4 and len(result.collided) == 4
    assert "with other content" in result.collided[0]
    # the same file again: every document is already present, nothing is logged
    seq = ws.head()[0]
    again = _ingest(cmds, _ndjson(tmp_path / "alerts.json", docs))
    assert again.records == again.present == 6 and ws.head()[0] == seq


def test_same_content_in_other_whitespace_and_key_order_is_present(cmds: Commands, tmp_path: Path) -> None:
    doc = _wazuh("m", "1.1", "sshd: authentication failed", "203.0.113.9")
    assert _ingest(cmds, _ndjson(tmp_path / "a.json", [doc], separators=(",", ":"))).ingested == 1
    again = _ingest(cmds, _ndjson(tmp_path / "b.json", [doc], indent=None, sort_keys=True))
    assert again.present == 1 and again.ingested == again.collisions == 0


def test_elastic_alert_updated_in_place_is_an_update(ws: Workspace, cmds: Commands, tmp_path: Path) -> None:
    v1 = _elastic("a1b2", "open", "2026-10-01T08:00:00.000Z")
    v2 = _elastic("a1b2", "acknowledged", "2026-10-01T09:30:00.000Z")
    result = _ingest(cmds, _ndjson(tmp_path / "hits.ndjson", [v1, v2]))
    assert (result.ingested, result.updated, result.collisions) == (1, 1, 0)
    (alert_id,) = result.alert_ids
    actions = [e.action for e in ws.events(ref=f"alert:{alert_id}")]
    assert actions == ["alert.ingested", "alert.updated"]
    update = list(ws.events(ref=f"alert:{alert_id}"))[1]
    assert update.payload["changed"] == ["kibana.alert.last_detected", "kibana.alert.workflow_status"]
    assert update.payload["status"] == "acknowledged"
    assert "updated in its source" in queries.describe_event(update)
    alert = queries.get_alert(ws, alert_id)
    assert alert["source_updates"] == 1
    assert queries.alert_raw(ws, alert) == v2  # the Raw tab shows the newest version
    # both versions are known now, in any order
    again = _ingest(cmds, _ndjson(tmp_path / "again.ndjson", [v2, v1]))
    assert again.records == again.present == 2


def test_a_change_our_write_back_made_is_not_recorded_again(ws: Workspace, cmds: Commands) -> None:
    v1 = _elastic("w1", "open", "2026-10-01T08:00:00.000Z")
    (alert_id,) = cmds.ingest_polled(
        [unwrap_hit("es", "hit w1", v1)], source="es", profile=None, cursor_ms=1
    ).alert_ids
    cmds.record_source_update(alert_id, "acknowledged")
    seq = ws.head()[0]
    ours = _elastic("w1", "acknowledged", "2026-10-01T08:00:00.000Z")
    result = cmds.ingest_polled([unwrap_hit("es", "hit w1", ours)], source="es", profile=None, cursor_ms=1)
    assert (result.present, result.updated) == (1, 0) and ws.head()[0] == seq
    # a change made in Kibana as well is news
    theirs = _elastic("w1", "acknowledged", "2026-10-01T10:00:00.000Z")
    result = cmds.ingest_polled([unwrap_hit("es", "hit w1", theirs)], source="es", profile=None, cursor_ms=2)
    assert result.updated == 1
    row = ws.conn.execute("SELECT updated, duplicates FROM source_cursors WHERE name = 'es'").fetchone()
    assert row == (1, 0)


def test_polled_hits_follow_the_same_rule(ws: Workspace, cmds: Commands) -> None:
    wazuh = {
        "_index": "wazuh-alerts-4.x-2026.10.01",
        "_id": "x1",
        "_source": _wazuh("m", "1.1", "r", "1.2.3.4"),
    }
    other = {**wazuh, "_source": _wazuh("m", "1.1", "r", "5.6.7.8")}
    recs = [unwrap_hit("wazuh", "hit 1", wazuh), unwrap_hit("wazuh", "hit 2", other)]
    result = cmds.ingest_polled(recs, source="wazuh", profile=None, cursor_ms=5)
    assert (result.ingested, result.collisions) == (1, 1)
    row = ws.conn.execute("SELECT ingested, collisions FROM source_cursors WHERE name = 'wazuh'").fetchone()
    assert row == (1, 1)
    polled = [e for e in ws.events() if e.action == "source.polled"][-1]
    assert polled.payload["collisions"] == 1 and polled.payload["present"] == 0


def test_a_lone_surrogate_does_not_fail_its_batch(ws: Workspace, cmds: Commands, tmp_path: Path) -> None:
    good = GOOD % ("high", "%s")
    path = tmp_path / "a.ndjson"
    path.write_text(
        "\n".join([good % "first", good % "bad \\ud800 text", good % "last"]) + "\n", encoding="utf-8"
    )
    result = _ingest(cmds, path)
    assert result.ingested == 3 and result.quarantined == 0
    titles = [t for (t,) in ws.conn.execute("SELECT title FROM alerts ORDER BY id")]
    assert titles == ["first", "bad \\ud800 text", "last"]  # shown as its escape
    # the raw document keeps the source's exact text, and the chain verifies
    ev = ws.event(2)
    assert (
        ev is not None
        and "\\ud800" in ev.body
        and ev.payload["alert"]["raw"]["rule"]["name"] == "bad \ud800 text"
    )
    assert verify_chain(ws.conn).ok


def test_a_polled_page_with_a_lone_surrogate_lands(ws: Workspace, cmds: Commands) -> None:
    hits = [_elastic(f"s{n}", "open", "2026-10-01T08:00:00.000Z") for n in range(3)]
    hits[1]["_source"]["kibana.alert.rule.name"] = "\udcff"
    hits[1]["_index"] = "idx-\ud800"
    result = cmds.ingest_polled(
        [unwrap_hit("es", f"hit {n}", h) for n, h in enumerate(hits)], source="es", profile=None, cursor_ms=9
    )
    assert result.ingested == 3
    assert verify_chain(ws.conn).ok
    assert ws.conn.execute("SELECT cursor_ms FROM source_cursors").fetchone()[0] == 9


def test_a_record_that_cannot_be_stored_is_quarantined_alone(
    ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cmds = Commands(ws, playbooks, "alice")
    real = playbooks.match

    def match(alert: Any) -> Any:
        if alert.title == "poison":
            raise RuntimeError("a fault while storing this one record")
        return real(alert)

    monkeypatch.setattr(playbooks, "match", match)
    good = GOOD % ("low", "%s")
    path = tmp_path / "a.ndjson"
    path.write_text("\n".join(good % t for t in ("one", "poison", "three")) + "\n", encoding="utf-8")
    result = _ingest(cmds, path)
    assert (result.ingested, result.quarantined) == (2, 1)
    assert (
        "line 2: could not be stored (RuntimeError: a fault while storing this one record)"
        in result.problems[0]
    )
    assert [t for (t,) in ws.conn.execute("SELECT title FROM alerts ORDER BY id")] == ["one", "three"]
    assert verify_chain(ws.conn).ok and ws.rebuild(dry_run=True)[1]


def test_a_crafted_incident_event_cannot_put_its_keys_into_sql(ws: Workspace, cmds: Commands) -> None:
    alert = cmds.ingest([make_alert()]).alert_ids[0]
    cmds.escalate(alert, title="Real title")
    crafted = {"changes": {"title = 'pwned', owner": "mallory"}}
    with pytest.raises(ValueError, match="unknown fields"), ws.write() as w:
        w.append("mallory", "incident.updated", "incident:1", crafted)
    assert queries.get_incident(ws, 1)["title"] == "Real title"
    # the same event put into the file by hand: replaying it refuses instead of running it
    from triage.store.chain import canonical_with

    with ws.write() as w:
        w.append("mallory", "incident.updated", "incident:1", {"changes": {"owner": "x"}})
    conn = ws.conn  # straight to the table, past the writer
    seq, head = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    env = {"action": "incident.updated", "actor": "mallory", "exercise": None, "seq": seq + 1,
           "target": "incident:1", "ts": "2026-10-01T00:00:00.000000Z", "v": 1}  # fmt: skip
    body = canonical_with(env, "payload", json.dumps(crafted))
    conn.execute(
        "INSERT INTO events (seq, ts, action, target, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (seq + 1, env["ts"], env["action"], env["target"], body, head, "0" * 64),
    )
    with pytest.raises(ValueError, match="unknown fields"):
        ws.rebuild()
    assert queries.get_incident(ws, 1)["title"] == "Real title"
    assert projection.known_actions() >= {"alert.updated"}


def test_opensearch_alerts_change_state_in_place_and_findings_do_not(ws: Workspace, cmds: Commands) -> None:
    # shapes of the Security Analytics and threat-intelligence API documentation's examples
    alert = {
        "id": "906669ee", "trigger_id": "t1", "trigger_name": "regwarg", "state": "ACTIVE",
        "ioc_value": "example-has00001", "ioc_type": "hashes", "severity": "high",
        "start_time": 1722038395105,
    }  # fmt: skip
    acked = {**alert, "state": "ACKNOWLEDGED", "acknowledged_time": 1722038399000}
    sa_alert = {
        "detector_id": "detector_12345", "id": "alert_id_1", "trigger_name": "my_trigger",
        "state": "ACTIVE", "severity": None, "start_time": "2022-10-13T20:39:04.995023Z",
    }  # fmt: skip
    finding = {
        "detectorId": "b9ZN", "id": "35efb736", "queries": [{"id": "q", "name": "q", "tags": ["high"]}],
        "timestamp": 1708647166500,
    }  # fmt: skip
    refound = {**finding, "timestamp": 1708647199999}
    docs = [alert, acked, sa_alert, finding, refound]
    records = [unwrap_hit("os", f"item {n}", d) for n, d in enumerate(docs, 1)]
    result = cmds.ingest_records(records)
    assert (result.ingested, result.updated, result.collisions, result.quarantined) == (3, 1, 1, 0)
    rows = ws.conn.execute("SELECT title, severity, tags FROM alerts ORDER BY id").fetchall()
    assert rows[0][:2] == ("regwarg: hashes example-has00001", "high")
    assert rows[1][:2] == ("my_trigger", "medium") and "detector:detector_12345" in rows[1][2]


def _collisions_and_an_update(cmds: Commands, tmp_path: Path) -> tuple[list[Any], Path]:
    """Ingested: three Wazuh alerts of one id from one manager (an alert, two collisions) and an
    Elastic alert, then its update. The documents and their file."""
    docs: list[Any] = [_wazuh("manager-a", "1.1", f"rule {n}", f"198.51.100.{n}") for n in range(3)]
    docs += [_elastic("a1b2", "open", "2026-10-01T08:00:00.000Z")]
    docs += [_elastic("a1b2", "acknowledged", "2026-10-01T09:30:00.000Z")]
    path = _ndjson(tmp_path / "alerts.json", docs)
    result = _ingest(cmds, path)
    assert (result.ingested, result.collisions, result.updated) == (2, 2, 1)
    return docs, path


def test_content_tracked_by_key_before_is_tracked_by_the_key_holding_alert(
    ws: Workspace, cmds: Commands, tmp_path: Path
) -> None:
    """A workspace from before migration 15 kept each content received under its key: it is
    moved to the alert holding that key (a collision's under the alert it collided with), the
    rows are what a rebuild makes, and the same documents again are all already present."""
    docs, path = _collisions_and_an_update(cmds, tmp_path)
    conn = ws.conn
    moved = conn.execute("SELECT key_alert, digest, alert_id, seq FROM alert_content ORDER BY seq").fetchall()
    holders = dict(conn.execute("SELECT id, dedup_key FROM alerts").fetchall())
    own_keys = {r[0] for r in conn.execute("SELECT id FROM alerts WHERE collision_of IS NULL")}
    assert {r[0] for r in moved} == own_keys and len(moved) == 5  # 3 + 2 versions, under 2 alerts
    assert columns(ws, "alert_content") == ["digest", "alert_id", "seq", "key_alert"]

    def undo(c: Conn) -> None:  # the table as migration 4 made it
        c.execute("DROP TABLE alert_content")
        c.execute(
            "CREATE TABLE alert_content (dedup_key TEXT NOT NULL, digest TEXT NOT NULL,"
            " alert_id INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (dedup_key, digest))"
        )
        for key_alert, digest, alert_id, seq in moved:
            c.execute(
                "INSERT INTO alert_content VALUES (?, ?, ?, ?)", (holders[key_alert], digest, alert_id, seq)
            )

    def content(w: Workspace) -> tuple[list[str], list[Any]]:
        rows = w.conn.execute("SELECT * FROM alert_content ORDER BY seq").fetchall()
        return columns(w, "alert_content"), [tuple(r) for r in rows]

    with migrated_again(ws, "m015_content_by_alert", undo, content) as again:
        assert again.rebuild(dry_run=True)[1]
        present = _ingest(Commands(again, cmds.playbooks, "alice"), path)
        assert present.present == len(docs) and present.ingested == present.collisions == 0


def _alerts_as_migration_16_left_them(c: Conn, postgres: bool) -> None:
    """The alert row as before migration 17: the key's text unique, no number."""
    if postgres:
        c.execute("DROP INDEX alerts_key_hash")
        c.execute("ALTER TABLE alerts DROP COLUMN key_hash")
        c.execute("ALTER TABLE alerts ADD CONSTRAINT alerts_dedup_key_key UNIQUE (dedup_key)")
        return
    table = c.execute("SELECT sql FROM sqlite_master WHERE name = 'alerts'").fetchone()[0]
    indexes = [
        sql
        for name, sql in c.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alerts'"
        )
        if name != "alerts_key_hash" and sql is not None
    ]
    old = table.replace("dedup_key TEXT NOT NULL", "dedup_key TEXT NOT NULL UNIQUE", 1)
    old = re.sub(
        r'^CREATE TABLE "?alerts"?', "CREATE TABLE old", old.replace(", key_hash INTEGER NOT NULL", "")
    )
    kept = ", ".join(r[1] for r in c.execute("PRAGMA table_info(alerts)") if r[1] != "key_hash")
    c.execute(old)
    c.execute(f"INSERT INTO old SELECT {kept} FROM alerts")
    c.execute("DROP TABLE alerts")
    c.execute("ALTER TABLE old RENAME TO alerts")
    for sql in indexes:
        c.execute(sql)


def test_alerts_from_before_the_keys_numbers_get_them(ws: Workspace, cmds: Commands, tmp_path: Path) -> None:
    """Migration 17 numbers every stored alert's key, drops the uniqueness of its text (and, on
    SQLite, that index) and leaves the table and its indexes as a new workspace has them."""
    docs, path = _collisions_and_an_update(cmds, tmp_path)
    postgres = ws.postgres

    def table(w: Workspace) -> tuple[list[str], dict[str, str]]:
        return columns(w, "alerts"), alert_indexes(w)

    def undo(c: Conn) -> None:
        _alerts_as_migration_16_left_them(c, postgres)

    with migrated_again(ws, "m017_alerts_by_key_hash", undo, table) as again:
        assert "sqlite_autoindex_alerts_1" not in alert_indexes(again)
        rows = again.conn.execute("SELECT dedup_key, key_hash FROM alerts").fetchall()
        assert len(rows) == 4 and all(number == key_hash(key) for key, number in rows)
        assert again.rebuild(dry_run=True)[1]
        present = _ingest(Commands(again, cmds.playbooks, "alice"), path)
        assert present.present == len(docs) and present.ingested == present.collisions == 0


def test_the_keys_of_every_corpus_document_get_their_numbers(ws: Workspace, cmds: Commands) -> None:
    """Migration 17 over the alerts of real documents (tests/corpus: ids and indexes as other
    projects wrote them, collisions among them): each key's number is the one the ingest gives,
    on PostgreSQL from its own SQL, and every document taken again is already present."""
    files = every_corpus_file()
    for path in files:
        _ingest(cmds, path)
    postgres = ws.postgres

    def numbers(w: Workspace) -> list[tuple[str, int]]:
        if "key_hash" not in columns(w, "alerts"):
            return []
        rows = w.conn.execute("SELECT dedup_key, key_hash FROM alerts ORDER BY id").fetchall()
        return [(key, number) for key, number in rows]

    def undo(c: Conn) -> None:
        _alerts_as_migration_16_left_them(c, postgres)

    with migrated_again(ws, "m017_alerts_by_key_hash", undo, numbers) as again:
        rows = numbers(again)
        assert any("#" in key for key, _ in rows)  # a collision's key among them
        assert all(number == key_hash(key) for key, number in rows)
        again_cmds = Commands(again, cmds.playbooks, "alice")
        for path in files:
            present = _ingest(again_cmds, path)
            assert present.ingested == present.updated == present.collisions == 0, path.name


@pytest.mark.parametrize("one_batch", [True, False])
def test_a_collision_closed_at_once_is_found_by_its_key_as_in_a_later_batch(
    ws: Workspace, cmds: Commands, tmp_path: Path, one_batch: bool
) -> None:
    """A collision a suppression rule closes as it lands: a document later under its key (here
    an Elastic hit, which updates its alert in place) reads the collision's own document, in
    its batch as in a later one."""
    cmds.add_suppression('"rule 1"', "the lab scanner, known and expected", timedelta(days=1))
    first, second = (
        _wazuh("manager-a", "1.1", "rule 0", "198.51.100.1"),
        _wazuh("manager-a", "1.1", "rule 1", "198.51.100.2"),
    )
    taken = collision_key("wazuh/manager-a/1.1", content_digest(second))
    hit = _elastic(taken.removeprefix("wazuh/"), "acknowledged", "2026-10-01T09:30:00.000Z")
    hit["_index"] = "wazuh"
    batches = [[first, second, hit]] if one_batch else [[first, second], [hit]]
    results = [_ingest(cmds, _ndjson(tmp_path / f"alerts-{n}.json", docs)) for n, docs in enumerate(batches)]
    assert sum(r.collisions for r in results) == 1 and sum(r.suppressed for r in results) == 1
    assert sum(r.updated for r in results) == 1 and sum(r.quarantined for r in results) == 0
    row = ws.conn.execute("SELECT source_updates, status FROM alerts WHERE dedup_key = ?", (taken,))
    assert row.fetchone() == (1, "closed")
