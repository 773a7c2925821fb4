"""Polling real Elasticsearch and OpenSearch nodes (started by scripts/search-servers).

Each test runs against both servers. Nodes come from TRIAGE_TEST_OPENSEARCH_URL and
TRIAGE_TEST_ELASTICSEARCH_URL when set; otherwise the session starts them with the script and
stops them at the end. The tests skip only when the script says Java or Maven is missing.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from .conftest import AUTH, ES_PASSWORD, ES_USER, KINDS, ROOT, _script

pytestmark = pytest.mark.integration


@pytest.fixture(params=KINDS)
def server(request: pytest.FixtureRequest, servers: dict[str, str]) -> tuple[str, str]:
    kind = str(request.param)
    return kind, servers[kind]


# -- talking to the server directly (the test's own view of the truth) -----------------------


def http(url: str, method: str = "GET", body: Any = None, *, ndjson: bool = False) -> Any:
    data = None
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    req = urllib.request.Request(
        url,
        data=data,
        method=method,
        headers={"Content-Type": "application/x-ndjson" if ndjson else "application/json"},
    )
    for base, header in AUTH.items():
        if url.startswith(base + "/"):
            req.add_header("Authorization", header)
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.loads(resp.read() or b"null")


BASE_TIME = datetime(2026, 10, 1, tzinfo=UTC)


def alert_doc(i: int, when: datetime | None = None) -> dict[str, Any]:
    when = when or BASE_TIME + timedelta(seconds=i)
    return {
        "@timestamp": when.isoformat().replace("+00:00", "Z"),
        "event": {"kind": "alert", "severity": 47 + i % 50},
        "rule": {"name": "SSH Brute Force" if i % 3 else "Malware detected", "id": f"r-{i % 7}"},
        "host": {"name": f"host-{i % 40}"},
        "source": {"ip": f"203.0.113.{i % 250}"},
    }


def bulk(url: str, docs: list[tuple[str, str, dict[str, Any]]]) -> None:
    for start in range(0, len(docs), 2000):
        lines = []
        for index, doc_id, doc in docs[start : start + 2000]:
            lines.append(json.dumps({"index": {"_index": index, "_id": doc_id}}))
            lines.append(json.dumps(doc))
        resp = http(f"{url}/_bulk", "POST", "\n".join(lines) + "\n", ndjson=True)
        assert not resp["errors"], [i for i in resp["items"] if "error" in i["index"]][:3]
    http(f"{url}/_refresh", "POST")


def index_ids(url: str, pattern: str) -> set[tuple[str, str]]:
    """Every (index, id) in the pattern, read with a scroll (independent of the poller's way)."""
    out: set[tuple[str, str]] = set()
    resp = http(
        f"{url}/{pattern}/_search?scroll=1m", "POST", {"size": 5000, "_source": False, "sort": ["_doc"]}
    )
    while resp["hits"]["hits"]:
        out.update((h["_index"], h["_id"]) for h in resp["hits"]["hits"])
        resp = http(f"{url}/_search/scroll", "POST", {"scroll": "1m", "scroll_id": resp["_scroll_id"]})
    http(f"{url}/_search/scroll", "DELETE", {"scroll_id": resp["_scroll_id"]})
    return out


# -- running triage --------------------------------------------------------------------------


class Triage:
    def __init__(
        self, tmp: Path, kind: str, url: str, pattern: str, db: str | None = None, **source: Any
    ) -> None:
        self.db: Path | str = db or tmp / "ws.db"
        self.config = tmp / "config.toml"
        self.kind, self.url, self.pattern = kind, url, pattern
        self.write_config(**source)
        self.env = {**os.environ, "TRIAGE_ANALYST": "poller", "TRIAGE_DB": str(self.db)}
        self.env["TRIAGE_CONFIG"] = str(self.config)
        self.env.pop("TRIAGE_DEBUG", None)
        assert self.run("init").returncode == 0

    def write_config(self, **source: Any) -> None:
        settings = {
            "name": "siem",
            "kind": self.kind,
            "urls": [self.url],
            "index": self.pattern,
            "interval": 0.5,
            "page_size": 500,
        }
        auth = {"api_key_env", "bearer_token_env", "credentials_file", "password_env"}
        if self.kind == "elasticsearch" and not auth & set(source):
            settings.update(username=os.environ[ES_USER], password_env=ES_PASSWORD)
        settings.update(source)
        lines = ["[[sources]]"] + [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def run(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "triage", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )

    def spawn(self, *args: str, log: Path) -> subprocess.Popen[bytes]:
        fh = open(log, "ab")  # noqa: SIM115 - closed with the process
        return subprocess.Popen(
            [sys.executable, "-m", "triage", *args], stdout=fh, stderr=subprocess.STDOUT, env=self.env
        )

    def stored(self) -> list[tuple[str, str]]:
        if isinstance(self.db, str):  # a PostgreSQL workspace
            from triage.store.workspace import Workspace

            with Workspace.open(self.db) as ws:
                return [
                    tuple(r) for r in ws.conn.execute("SELECT index_name, doc_id FROM alerts ORDER BY id")
                ]
        conn = sqlite3.connect(self.db)
        try:
            return [tuple(r) for r in conn.execute("SELECT index_name, doc_id FROM alerts ORDER BY id")]
        finally:
            conn.close()


def unique(prefix: str = "tp") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_exact(t: Triage) -> None:
    stored = t.stored()
    assert len(stored) == len(set(stored)), "an alert was stored twice"
    assert set(stored) == index_ids(t.url, t.pattern), "stored alerts differ from the index"
    verify = t.run("verify")
    assert verify.returncode in (0,), verify.stdout + verify.stderr


# -- the tests -------------------------------------------------------------------------------


def test_exact_ingestion_and_a_burst_far_larger_than_one_page(
    server: tuple[str, str], tmp_path: Path, ws_location: str | Path
) -> None:
    """On both backends: a file, and a PostgreSQL workspace the poller writes to over the network."""
    kind, url = server
    base = unique()
    docs = [(f"{base}-{i % 3}", f"id-{i}", alert_doc(i)) for i in range(12_000)]
    bulk(url, docs)
    db = ws_location if isinstance(ws_location, str) else None
    t = Triage(tmp_path, kind, url, f"{base}-*", db=db, page_size=1000)
    first = t.run("poll", "--once", "--json")
    assert first.returncode == 0, first.stderr
    (report,) = json.loads(first.stdout)
    assert report["ingested"] == 12_000 and report["pages"] >= 12
    assert_exact(t)
    again = json.loads(t.run("poll", "--once", "--json").stdout)[0]
    assert again["ingested"] == 0


def test_late_arrivals_inside_the_lookback_and_new_indices_are_caught(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    base = unique()
    bulk(url, [(f"{base}-a", f"a-{i}", alert_doc(i)) for i in range(300)])
    t = Triage(tmp_path, kind, url, f"{base}-*", lookback=120)
    assert t.run("poll", "--once").returncode == 0
    newest = BASE_TIME + timedelta(seconds=299)
    late = [(f"{base}-a", f"late-{i}", alert_doc(i, newest - timedelta(seconds=100 - i))) for i in range(50)]
    rollover = [(f"{base}-b", f"b-{i}", alert_doc(i, newest + timedelta(seconds=i))) for i in range(40)]
    bulk(url, late + rollover)
    result = json.loads(t.run("poll", "--once", "--json").stdout)[0]
    assert result["ingested"] == 90
    assert_exact(t)


def test_a_pattern_that_matches_no_index_yet_polls_nothing_until_one_appears(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    base = unique()
    t = Triage(tmp_path, kind, url, f"{base}-*")
    empty = t.run("poll", "--once", "--json")
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout)[0]["hits"] == 0
    bulk(url, [(f"{base}-2026.10.01", f"d-{i}", alert_doc(i)) for i in range(5)])
    assert json.loads(t.run("poll", "--once", "--json").stdout)[0]["ingested"] == 5
    assert_exact(t)


def test_unmappable_documents_are_quarantined_and_polling_goes_on(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    base = unique()
    docs = [(base, f"ok-{i}", alert_doc(i)) for i in range(20)]
    docs += [(base, "bad-1", {"@timestamp": "2026-10-01T00:00:30Z", "message": "not an alert"})]
    docs += [(base, "bad-2", {"@timestamp": "2026-10-01T00:00:31Z", "event": {"kind": "alert"}})]
    bulk(url, docs)
    t = Triage(tmp_path, kind, url, base)
    first = t.run("poll", "--once", "--json")
    assert first.returncode == 1  # like ingest: something was quarantined
    report = json.loads(first.stdout)[0]
    assert (report["ingested"], report["quarantined"]) == (20, 2)
    assert any(f"{base}/bad-1" in p for p in report["problems"])
    quarantine = json.loads(t.run("quarantine", "--json").stdout)
    assert len(quarantine) == 2 and quarantine[0]["raw"]["_id"].startswith("bad-")
    again = t.run("poll", "--once", "--json")  # known bad documents are not reported again
    assert again.returncode == 0 and json.loads(again.stdout)[0]["quarantined"] == 0


def test_a_missing_index_and_an_unreachable_server_are_one_clear_line(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    t = Triage(tmp_path, kind, url, unique("no-such-index"))
    missing = t.run("poll", "--once")
    assert missing.returncode == 2
    (line,) = missing.stderr.strip().splitlines()
    assert "not found (HTTP 404)" in line and "Traceback" not in missing.stderr
    t.write_config(urls=["http://127.0.0.1:9"], timeout=3)
    down = t.run("poll", "--once")
    assert down.returncode == 2
    assert "source siem" in down.stderr and len(down.stderr.strip().splitlines()) == 1
    t.write_config(api_key_env="TRIAGE_TEST_UNSET_KEY")
    unset = t.run("poll", "--once")
    assert unset.returncode == 2 and "TRIAGE_TEST_UNSET_KEY is not set" in unset.stderr


def _wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_poller_survives_a_server_restart_and_stops_cleanly_on_sigterm(
    server: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = server
    base = unique()
    bulk(url, [(base, f"a-{i}", alert_doc(i)) for i in range(2000)])
    t = Triage(tmp_path, kind, url, base, page_size=100)
    log = tmp_path / "poll.log"
    proc = t.spawn("poll", log=log)
    try:
        _wait_for(lambda: len(t.stored()) >= 2000, 120, "the first 2000 alerts")
        restarted = _script("restart", kind)
        assert restarted.returncode == 0, restarted.stderr
        bulk(url, [(base, f"b-{i}", alert_doc(3000 + i)) for i in range(500)])
        _wait_for(lambda: len(t.stored()) >= 2500, 180, "the alerts indexed after the restart")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text
    assert "stopping after the current batch" in text
    assert "retrying in" in text, "the restart was not noticed:\n" + text
    assert_exact(t)


def test_the_poller_resumes_after_a_postgresql_restart(
    server: tuple[str, str], tmp_path: Path, pg_location: str
) -> None:
    """The workspace's server goes away mid-poll: the page in flight rolls back with its cursor,
    the poller reconnects, and every alert lands once."""
    kind, url = server
    base = unique()
    bulk(url, [(base, f"a-{i}", alert_doc(i)) for i in range(3000)])
    t = Triage(tmp_path, kind, url, base, db=pg_location, page_size=50)
    log = tmp_path / "poll.log"
    proc = t.spawn("poll", log=log)
    try:
        _wait_for(lambda: len(t.stored()) >= 300, 120, "the first pages")
        restarted = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "pg-server"), "restart"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restarted.returncode == 0, restarted.stderr
        bulk(url, [(base, f"b-{i}", alert_doc(4000 + i)) for i in range(200)])
        _wait_for(lambda: len(t.stored()) >= 3200, 240, "every alert, after the restart")
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    text = log.read_text()
    assert code == 0, text
    assert "the workspace is unreachable" in text, "the restart was not noticed:\n" + text
    assert_exact(t)


def test_sigkill_at_random_points_loses_and_doubles_nothing(server: tuple[str, str], tmp_path: Path) -> None:
    kind, url = server
    base = unique()
    rng = random.Random(20261123)
    bulk(url, [(f"{base}-0", f"s-{i}", alert_doc(i)) for i in range(20_000)])
    t = Triage(tmp_path, kind, url, f"{base}-*", page_size=50)
    log = tmp_path / "poll.log"
    n = 20_000
    cut_short = 0  # kills that landed with the stream part-way through
    for round_no in range(10):
        proc = t.spawn("poll", log=log)
        time.sleep(rng.uniform(0.3, 2.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        cut_short += 0 < len(t.stored()) < n
        if round_no % 2 == 0:  # more alerts arrive while the poller is down
            extra = [(f"{base}-{round_no}", f"k-{n + i}", alert_doc(n + i)) for i in range(3000)]
            bulk(url, extra)
            n += 3000
    assert cut_short >= 1, "no kill landed in the middle of a pass"
    final = t.run("poll", "--once", "--json")
    assert final.returncode == 0, final.stderr
    assert len(t.stored()) == n
    assert_exact(t)


def test_sources_shows_cursor_and_health(server: tuple[str, str], tmp_path: Path) -> None:
    kind, url = server
    base = unique()
    bulk(url, [(base, f"a-{i}", alert_doc(i)) for i in range(10)])
    t = Triage(tmp_path, kind, url, base)
    assert t.run("poll", "--once").returncode == 0
    (row,) = json.loads(t.run("sources", "--json").stdout)
    assert row["name"] == "siem" and row["ingested"] == 10 and row["state"] == "ok"
    assert row["cursor"] == "2026-10-01T00:00:09.000Z"
    assert row["lag_s"] > 0 and row["last_error"] is None


def test_server_errors_reach_the_health_status(tmp_path: Path) -> None:
    t = Triage(tmp_path, "opensearch", "http://127.0.0.1:9", "x", timeout=2)
    assert t.run("poll", "--once").returncode == 2
    (row,) = json.loads(t.run("sources", "--json").stdout)
    assert row["state"] == "failing" and "source siem" in row["last_error"]


def test_write_back_sets_the_elastic_security_workflow_status(
    servers: dict[str, str], tmp_path: Path
) -> None:
    url = servers["elasticsearch"]
    index = unique(".internal.alerts-security.alerts-t")
    docs = []
    for i in range(3):
        docs.append(
            (
                index,
                f"esa-{i}",
                {
                    "@timestamp": f"2026-10-01T00:00:0{i}Z",
                    "kibana.alert.rule.name": "Suspicious PowerShell",
                    "kibana.alert.severity": "high",
                    "kibana.alert.risk_score": 73,
                    "kibana.alert.workflow_status": "open",
                    "host": {"name": f"ws-{i}"},
                },
            )
        )
    bulk(url, docs)
    t = Triage(tmp_path, "elasticsearch", url, index, writeback=True)
    assert t.run("poll", "--once").returncode == 0
    ids = {doc_id: n for n, (_, doc_id) in enumerate(t.stored(), 1)}
    assert t.run("ack", str(ids["esa-0"])).returncode == 0
    closed = t.run("close", str(ids["esa-1"]), "-d", "false_positive", "-r", "lab host", "--override", "lab")
    assert closed.returncode == 0, closed.stderr
    assert t.run("poll", "--once").returncode == 0

    def status(doc_id: str) -> str:
        return str(http(f"{url}/{index}/_doc/{doc_id}")["_source"]["kibana.alert.workflow_status"])

    assert [status(f"esa-{i}") for i in range(3)] == ["acknowledged", "closed", "open"]
    log = [json.loads(line) for line in t.run("log", "--json").stdout.splitlines()]
    synced = [e for e in log if e["action"] == "alert.source_updated"]
    assert [(e["target"], e["payload"]["status"]) for e in synced] == [
        (f"alert:{ids['esa-0']}", "acknowledged"),
        (f"alert:{ids['esa-1']}", "closed"),
    ]
    assert t.run("reopen", str(ids["esa-1"]), "-r", "not the lab after all").returncode == 0
    assert t.run("poll", "--once").returncode == 0
    assert status("esa-1") != "closed"
    assert t.run("poll", "--once").returncode == 0  # nothing left to write: no new events
    after = [json.loads(line) for line in t.run("log", "--json").stdout.splitlines()]
    assert len([e for e in after if e["action"] == "alert.source_updated"]) == 3


def test_wrong_credentials_are_one_clear_line_and_the_right_ones_work(
    servers: dict[str, str], tmp_path: Path
) -> None:
    url = servers["elasticsearch"]
    base = unique()
    bulk(url, [(base, f"a-{i}", alert_doc(i)) for i in range(3)])
    t = Triage(tmp_path, "elasticsearch", url, base)
    assert t.run("poll", "--once").returncode == 0  # basic auth from username + password_env
    t.env["TRIAGE_TEST_WRONG"] = "not-the-password"
    t.write_config(username=os.environ[ES_USER], password_env="TRIAGE_TEST_WRONG")
    wrong = t.run("poll", "--once")
    assert wrong.returncode == 2
    (line,) = wrong.stderr.strip().splitlines()
    assert "authentication failed (HTTP 401)" in line and "not-the-password" not in wrong.stderr
    t.env["TRIAGE_TEST_KEY"] = "bm90LWEta2V5OnJlYWxseS1ub3Q="
    t.write_config(api_key_env="TRIAGE_TEST_KEY")
    key = t.run("poll", "--once")
    assert key.returncode == 2 and "authentication failed (HTTP 401)" in key.stderr
    assert "bm90LWEta2V5" not in key.stderr
    creds = tmp_path / "creds.toml"
    creds.write_text(f'username = "{os.environ[ES_USER]}"\npassword = "{os.environ[ES_PASSWORD]}"\n')
    t.write_config(credentials_file=str(creds))
    t.env.pop(ES_PASSWORD, None)
    assert t.run("poll", "--once").returncode == 0  # the credentials file alone is enough
    assert len(t.stored()) == 3
