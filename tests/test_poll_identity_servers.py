"""Polling real nodes with the ingest rule: same key and same content is present, an Elastic
Security alert rewritten in place is an update, and a document no text can hold lands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import KINDS
from .test_poll_servers import Triage, alert_doc, bulk, http, unique

pytestmark = pytest.mark.integration


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest, servers: dict[str, str]) -> tuple[str, str]:
    kind = str(request.param)
    return kind, servers[kind]


def _kibana_alert(status: str, last_detected: str) -> dict[str, object]:
    return {
        "@timestamp": "2026-10-01T00:00:00Z",
        "kibana.alert.uuid": "k-1",
        "kibana.alert.rule.name": "Suspicious PowerShell",
        "kibana.alert.severity": "high",
        "kibana.alert.workflow_status": status,
        "kibana.alert.last_detected": last_detected,
        "host": {"name": "ws-1"},
    }


def test_an_alert_rewritten_in_place_is_an_update(server: tuple[str, str], tmp_path: Path) -> None:
    kind, url = server
    index = unique(".internal.alerts-security.alerts-t")
    bulk(url, [(index, "k-1", _kibana_alert("open", "2026-10-01T00:00:00Z"))])
    t = Triage(tmp_path, kind, url, index, lookback=3600)
    first = json.loads(t.run("poll", "--once", "--json").stdout)[0]
    assert (first["ingested"], first["updated"]) == (1, 0)
    # an analyst acknowledges it in Kibana, and the rule fires again on it
    bulk(url, [(index, "k-1", _kibana_alert("acknowledged", "2026-10-01T00:05:00Z"))])
    second = json.loads(t.run("poll", "--once", "--json").stdout)[0]
    assert (second["ingested"], second["updated"], second["present"]) == (0, 1, 0)
    timeline = [json.loads(line) for line in t.run("log", "--alert", "1", "--json").stdout.splitlines()]
    assert [e["action"] for e in timeline] == ["alert.ingested", "alert.updated"]
    assert timeline[1]["payload"]["status"] == "acknowledged"
    shown = t.run("show", "1").stdout
    assert "updated in its source" in shown
    third = json.loads(t.run("poll", "--once", "--json").stdout)[0]
    assert (third["updated"], third["present"]) == (0, 1)
    assert t.run("verify").returncode in (0, 1)  # no checkpoints yet: a note, not a failure
    assert "INVALID" not in t.run("verify").stdout


def test_documents_sharing_a_wazuh_id_and_a_lone_surrogate_all_land(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    index = unique("wazuh-alerts-4.x-t")
    lines = []
    for n, manager in enumerate(["wazuh-1", "wazuh-1", "wazuh-2"]):
        doc = {
            "timestamp": f"2026-10-01T00:00:0{n}.000+0000",
            "rule": {"level": 10, "description": f"sshd: attempt {n}", "id": "5712"},
            "agent": {"id": "001", "name": "web-01"},
            "manager": {"name": manager},
            "id": "1580123327.49031",
        }
        lines += [json.dumps({"index": {"_index": index}}), json.dumps(doc)]
    # raw JSON text with a lone surrogate escape: valid JSON, no valid UTF-8 text
    bad = '{"@timestamp": "2026-10-01T00:00:09Z", "event": {"kind": "alert", "severity": 47},'
    bad += ' "rule": {"name": "odd \\ud800 name"}}'
    lines += [json.dumps({"index": {"_index": index, "_id": "surrogate"}}), bad]
    resp = http(f"{url}/_bulk?refresh=true", "POST", "\n".join(lines) + "\n", ndjson=True)
    accepted = [i for i in resp["items"] if "error" not in i["index"]]
    t = Triage(tmp_path, kind, url, index)
    out = t.run("poll", "--once", "--json")
    report = json.loads(out.stdout)[0]
    assert report["ingested"] == len(accepted) and report["quarantined"] == 0, out.stderr
    assert len(accepted) >= 3  # the three Wazuh documents at least; the surrogate if the server took it
    assert t.run("alerts", "--status", "all").returncode == 0
    assert "INVALID" not in t.run("verify").stdout


def test_an_index_that_maps_the_timestamp_as_text_does_not_stop_the_others(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    base = unique()
    # documents whose timestamp is not a date make the server map it as text in their index
    http(f"{url}/{base}-text", "PUT", {"mappings": {"properties": {"@timestamp": {"type": "text"}}}})
    text_docs = [
        {"@timestamp": "{timestamp}", "event": {"kind": "alert", "severity": 47}, "rule": {"name": "odd"}},
        {
            "@timestamp": "2026-10-01T00:00:00Z",
            "event": {"kind": "alert", "severity": 47},
            "rule": {"name": "ok"},
        },
    ]
    bulk(url, [(f"{base}-text", f"t-{n}", d) for n, d in enumerate(text_docs)])
    bulk(url, [(f"{base}-date", f"d-{n}", alert_doc(n)) for n in range(30)])
    t = Triage(tmp_path, kind, url, f"{base}-*", page_size=10)
    out = t.run("poll", "--once", "--json")
    assert out.returncode == 1, out.stderr  # one template document is quarantined
    report = json.loads(out.stdout)[0]
    assert (report["ingested"], report["quarantined"]) == (31, 1), out.stderr
    assert f"index {base}-text maps @timestamp as text" in out.stderr
    again = json.loads(t.run("poll", "--once", "--json").stdout)[0]
    assert again["ingested"] == 0 and again["present"] >= 2  # the untimed index is read again, harmlessly
    assert {i for i, _ in t.stored()} == {f"{base}-text", f"{base}-date"}
