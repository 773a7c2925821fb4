"""``hash:`` finds the alerts whose document holds a file or process hash, on the index the
projection keeps (``alert_hashes``): from every format's fields, replaced by a source's update,
rebuilt from the log as it was written, and filled by the migration for older workspaces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from triage.commands import Commands
from triage.domain.hashes import MAX_HASHES, document_hashes
from triage.queue import Queue, QueueView
from triage.sources.files import FileSource
from triage.store import projection
from triage.store.chain import canonical
from triage.store.workspace import Workspace

from .conftest import make_alert

MD5 = "d41d8cd98f00b204e9800998ecf8427e"
SHA1 = "ca85243c0af6a6471bdaa560685c51eefd6dbc0d"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
OTHER = "8ad40c90a611d36eb8f9eb24fa04f7dbca713db383ff55a03aa0f382e92061a2"


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"file": {"hash": {"md5": MD5, "sha1": SHA1, "sha256": SHA256}}}, [SHA1, MD5, SHA256]),
        ({"process": {"parent": {"hash": {"sha256": SHA256.upper()}}}}, [SHA256]),  # kept in lower case
        ({"dll": [{"hash": {"md5": MD5}}, {"hash": {"sha256": OTHER}}]}, [OTHER, MD5]),
        ({"_source": {"file.hash.sha256": SHA256, "kibana.alert.rule.name": "x"}}, [SHA256]),  # flattened
        ({"fileinfo": {"md5": MD5, "sha256": SHA256, "size": 3}}, [MD5, SHA256]),  # Suricata
        ({"syscheck": {"md5_before": "0" * 32, "md5_after": MD5, "sha1_after": SHA1}}, [SHA1, MD5]),  # Wazuh
        (
            {"data": {"win": {"eventdata": {"hashes": f"SHA1={SHA1.upper()},MD5={MD5},IMPHASH=00"}}}},
            [SHA1, MD5],
        ),
        ({"ioc_type": "hashes", "ioc_value": SHA256, "trigger_name": "t"}, [SHA256]),  # OpenSearch
        ({"threat": {"indicator": {"file": {"hash": {"sha256": [SHA256, OTHER]}}}}}, [OTHER, SHA256]),
        ({"file": {"hash": {"md5": "fake md5", "sha256": SHA256[:-1]}}, "message": SHA256}, []),  # not hashes
        ({"ioc_type": "ip", "ioc_value": MD5}, []),
    ],
)
def test_the_hashes_a_document_holds(doc: Any, expected: list[str]) -> None:
    assert document_hashes(doc) == sorted(expected)
    for text in (json.dumps(doc), json.dumps(doc, ensure_ascii=False, indent=1), canonical(doc)):
        assert document_hashes(doc, text) == sorted(expected)  # the text check never hides one


_KEYS = st.sampled_from(
    ["md5", "SHA256", "sha1", "sha384", "sha512", "imphash", "Hash", "hashes", "md5_after",
     "file.hash.sha256", "ioc_type", "ioc_value", "name", "digest", "x", "sha256_before", "fileinfo"]
)  # fmt: skip
_VALUES = st.sampled_from(
    [MD5, SHA1, SHA256.upper(), f"SHA1={SHA1},MD5={MD5}", "hashes", "sha256:" + OTHER, "x"]
)
_DOCS = st.recursive(
    _VALUES,
    lambda inner: st.dictionaries(_KEYS, inner, max_size=4) | st.lists(inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(_DOCS, st.booleans())
def test_a_text_said_to_hold_no_hashes_holds_none(doc: Any, escape: bool) -> None:
    text = json.dumps(doc, ensure_ascii=escape)
    if escape:  # letters spelled as escapes, as a source may send them
        text = text.replace('"h', '"\\u0068')
    assert document_hashes(doc, text) == document_hashes(doc)
    assert document_hashes(
        doc, canonical({"payload": {"digest": "sha256:" + MD5, "raw": doc}})
    ) == document_hashes(doc)


def test_a_document_with_very_many_hashes_keeps_the_same_first_ones_in_any_key_order() -> None:
    many = {f"f{n}": {"sha256": f"{n:064x}"} for n in range(200)}
    kept = document_hashes(many)
    assert len(kept) == MAX_HASHES and kept == document_hashes(dict(reversed(many.items())))
    deep: Any = {"md5": MD5}
    for _ in range(200):
        deep = {"a": deep}
    assert document_hashes(deep) == []  # beyond the depth looked at; no recursion limit reached


def _ids(ws: Workspace, text: str) -> list[int]:
    queue = Queue(ws.conn)
    view = QueueView(status="all", text=text, sort="id", descending=False)
    return [row.id for row in queue.page(view, 0, 100)]


def _elastic(uuid: str, status: str, sha256: str) -> dict[str, Any]:
    return {
        "_index": ".internal.alerts-security.alerts-default-000001",
        "_id": uuid,
        "_source": {
            "@timestamp": "2026-10-01T08:00:00.000Z",
            "kibana.alert.uuid": uuid,
            "kibana.alert.rule.name": "Malicious file",
            "kibana.alert.severity": "high",
            "kibana.alert.workflow_status": status,
            "file": {"hash": {"sha256": sha256}},
        },
    }


def test_hash_finds_the_alerts_holding_it_and_follows_a_sources_update(
    ws: Workspace, cmds: Commands, tmp_path: Path
) -> None:
    ids = cmds.ingest(
        [
            make_alert(doc_id="ecs", title="EICAR", raw={"process": {"hash": {"md5": MD5, "sha1": SHA1}}}),
            make_alert(doc_id="suricata", title="File seen", raw={"fileinfo": {"sha256": SHA256.upper()}}),
            make_alert(doc_id="other", title=f"Not {SHA256}", raw={"file": {"hash": {"sha256": OTHER}}}),
            make_alert(doc_id="none", title="No hash", raw={"message": SHA256}),
        ]
    ).alert_ids
    assert _ids(ws, f"hash:{SHA256}") == _ids(ws, f"hash:{SHA256.upper()}") == [ids[1]]
    assert _ids(ws, f"hash:{MD5}") == _ids(ws, f"hash:{SHA1}") == [ids[0]]
    assert _ids(ws, "hash:9f86d0*") == [ids[1]]
    assert _ids(ws, "hash:*") == ids[:3]
    assert _ids(ws, "-hash:*") == ids[3:]
    assert _ids(ws, f"hash:{SHA256} OR hash:{OTHER}") == ids[1:3]

    # an alert its source updates in place: the hashes of its document as it is now
    hits = tmp_path / "hits.ndjson"
    hits.write_text(
        "\n".join(json.dumps(d) for d in (_elastic("u1", "open", SHA256), _elastic("u1", "closed", MD5 * 2)))
    )
    result = cmds.ingest_records(FileSource(str(hits)).records())
    assert (result.ingested, result.updated) == (1, 1)
    (updated,) = result.alert_ids
    assert _ids(ws, f"hash:{SHA256}") == [ids[1]]  # the first version's hash is gone
    assert _ids(ws, f"hash:{MD5 * 2}") == [updated]

    before = ws.conn.execute("SELECT hash, alert_id FROM alert_hashes ORDER BY hash, alert_id").fetchall()
    assert ws.rebuild() == (ws.head()[0], True)  # the same rows from the log alone
    after = ws.conn.execute("SELECT hash, alert_id FROM alert_hashes ORDER BY hash, alert_id").fetchall()
    assert [tuple(r) for r in after] == [tuple(r) for r in before] and len(before) == 5
    assert projection.digest(ws.conn)


def test_the_migration_fills_the_index_of_a_workspace_made_before_it(ws: Workspace, cmds: Commands) -> None:
    (alert_id,) = cmds.ingest([make_alert(raw={"file": {"hash": {"sha1": SHA1}}})]).alert_ids
    # the workspace as migration 11 left it: no table, migration 12 not applied
    with ws.write_telemetry() as conn:
        conn.execute("DROP TABLE alert_hashes")
        conn.execute(f"DELETE FROM {ws.migrations_table} WHERE name = 'm012_alert_hashes'")
    ws.close()
    with Workspace.open(ws.location) as again:
        assert _ids(again, f"hash:{SHA1}") == [alert_id]
        assert again.rebuild(dry_run=True)[1]
