"""Recorded alerts from files: formats, idempotency, and bad input quarantined, never lost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from triage.store.workspace import Workspace

from .conftest import Cli
from .test_profiles import ECS, ELASTIC_HIT, SURICATA, WAZUH


def _write(path: Path, lines: list[str] | str) -> Path:
    path.write_text(lines if isinstance(lines, str) else "\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ndjson_hits_array_and_search_response(cli: Cli, tmp_path: Path) -> None:
    assert cli("init").exit_code == 0
    nd = _write(tmp_path / "a.ndjson", [json.dumps(ELASTIC_HIT), json.dumps(WAZUH)])
    arr = _write(tmp_path / "b.json", json.dumps([SURICATA, ECS], indent=2))
    resp = _write(
        tmp_path / "c.json",
        json.dumps(
            {"took": 3, "hits": {"total": {"value": 1}, "hits": [{**ELASTIC_HIT, "_id": "other"}]}}, indent=2
        ),
    )
    out = cli.json("ingest", str(nd), str(arr), str(resp))
    assert out == {
        "ingested": 5,
        "updated": 0,
        "present": 0,
        "collisions": 0,
        "quarantined": 0,
        "quarantined_before": 0,
        "suppressed": 0,
        "problems": [],
        "collided": [],
        "errors": [],
    }
    profiles = sorted(a["profile"] for a in cli.json("alerts", "--status", "all"))
    assert profiles == ["ecs", "elastic", "elastic", "suricata", "wazuh"]


def test_ingest_is_idempotent(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    nd = _write(tmp_path / "a.ndjson", [json.dumps(ELASTIC_HIT), json.dumps(WAZUH), json.dumps(SURICATA)])
    assert cli.json("ingest", str(nd))["ingested"] == 3
    again = cli.json("ingest", str(nd))
    assert again["ingested"] == 0 and again["present"] == 3
    events = [json.loads(line) for line in cli("log", "--json").stdout.splitlines()]
    assert len(events) == 3


def test_stdin(cli: Cli) -> None:
    cli("init")
    result = cli("ingest", "-", input=json.dumps(WAZUH) + "\n")
    assert result.exit_code == 0, result.output
    assert "1 ingested" in result.stdout


def test_bad_lines_are_quarantined_with_line_and_reason_and_the_rest_goes_on(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(
        b"\n".join(
            [
                json.dumps(WAZUH).encode(),
                b'{"rule": {"level": 10, "description": "trunc',  # truncated JSON
                b"[1, 2, 3]",  # not an object
                b'{"unknown": "format"}',
                b'{"timestamp": "x\xff\xfe", "rule": {"level": 3}}',  # not UTF-8
                json.dumps(
                    {**WAZUH, "id": "2", "rule": {**WAZUH["rule"], "level": "high!"}}
                ).encode(),  # wrong type
                b"",
                json.dumps(SURICATA).encode(),
            ]
        )
        + b"\n"
    )
    result = cli("ingest", str(path))
    assert result.exit_code == 1
    assert "2 ingested, 0 updated, 0 already present, 0 collisions, 5 quarantined" in result.stdout
    quarantined = cli.json("quarantine")
    assert [(q["location"], q["reason"].split(":")[0]) for q in quarantined] == [
        ("line 2", "malformed JSON"),
        ("line 3", "expected a JSON object, got an array"),
        ("line 4", "unknown alert format (no profile recognises a document with keys"),
        ("line 5", "not valid UTF-8 (invalid start byte at byte 16)"),
        ("line 6", "field rule.level"),
    ]
    # nothing lost: the raw text of each bad line is kept in the log
    assert quarantined[0]["raw"] == '{"rule": {"level": 10, "description": "trunc'
    assert quarantined[2]["raw"] == {"unknown": "format"}
    # re-ingesting the same file does not log the same bad lines twice: they, like the good
    # lines, are already present, but it says they were quarantined and still exits 1
    again = cli("ingest", "--json", str(path))
    assert again.exit_code == 1
    counts = json.loads(again.stdout)
    assert (counts["ingested"], counts["present"], counts["quarantined"]) == (0, 7, 0)
    assert counts["quarantined_before"] == 5
    assert len(cli.json("quarantine")) == 5


def test_truncated_json_array_is_kept_whole(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    path = _write(tmp_path / "arr.json", json.dumps([WAZUH, SURICATA])[:-20])
    result = cli("ingest", str(path))
    assert result.exit_code == 1
    (q,) = cli.json("quarantine")
    assert q["location"] == "whole file" and q["reason"].startswith("malformed JSON")
    assert q["raw"] == path.read_text(encoding="utf-8")


def test_array_items_that_are_not_alerts_are_quarantined_by_item(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    path = _write(tmp_path / "arr.json", json.dumps([WAZUH, "junk", {"x": 1}]))
    assert cli("ingest", str(path)).exit_code == 1
    assert [q["location"] for q in cli.json("quarantine")] == ["item 2", "item 3"]


def test_missing_file_is_one_clear_line(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    result = cli("ingest", str(tmp_path / "nope.ndjson"))
    assert result.exit_code == 1  # an argument that cannot be read; the summary still prints
    assert result.stdout.splitlines() == [
        "0 ingested, 0 updated, 0 already present, 0 collisions, 0 quarantined"
    ]
    assert result.stderr.strip().splitlines() == [
        f"triage: error: {tmp_path / 'nope.ndjson'}: cannot read (No such file or directory)"
    ]


def test_terminal_escapes_in_alert_fields_are_shown_literally(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    evil = {
        **WAZUH,
        "rule": {**WAZUH["rule"], "description": "\x1b]0;pwned\x07\x1b[2J[bold red]x[/] \x9b31m"},
        "agent": {"name": "host\x1b[31m\r\nfake line"},
    }
    path = _write(tmp_path / "evil.ndjson", [json.dumps(evil)])
    assert cli("ingest", str(path)).exit_code == 0
    for args in (("alerts",), ("show", "1", "--raw"), ("log",)):
        out = cli(*args).stdout
        assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\r" not in out, args
    shown = cli("show", "1").stdout
    assert "\\x1b]0;pwned\\x07\\x1b[2J[bold red]x[/] \\x9b31m" in shown
    assert "host\\x1b[31m\\x0d\\nfake line" in shown
    # the stored value is untouched
    assert cli.json("show", "1")["alert"]["host"] == "host\x1b[31m\r\nfake line"


def test_source_text_is_kept_byte_exact_in_the_log(cli: Cli, tmp_path: Path) -> None:
    """An NDJSON line is stored as the source sent it (key order, spacing, non-ASCII), the chain
    verifies over those bytes, and rebuilding the projections from the log gives the same state."""
    cli("init")
    hit = {"_source": ELASTIC_HIT["_source"], "_id": "exact-1", "_index": ELASTIC_HIT["_index"]}
    hit["_source"] = {**hit["_source"], "message": "Zugriff verweigert für Jürgen — 拒否"}
    line = json.dumps(hit, ensure_ascii=False, indent=None, separators=(", ", " : "))
    assert cli.json("ingest", str(_write(tmp_path / "a.ndjson", [line])))["ingested"] == 1
    with Workspace.open(cli.db) as ws:
        (body,) = ws.conn.execute("SELECT body FROM events WHERE action = 'alert.ingested'").fetchone()
    assert line in body
    assert json.loads(body)["payload"]["alert"]["raw"] == json.loads(line)
    assert cli("verify").exit_code == 0
    shown = cli.json("show", "1")
    assert shown["raw"]["_source"]["message"] == "Zugriff verweigert für Jürgen — 拒否"
    assert cli("rebuild", "--check").exit_code == 0


def test_nan_infinity_and_out_of_range_numbers_are_quarantined(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    src = json.dumps(WAZUH)
    lines = [src.replace('"level": 10', '"level": NaN'), src.replace('"level": 10', '"level": 1e999'), src]
    assert all(ln != src for ln in lines[:2])
    result = cli("ingest", "--json", str(_write(tmp_path / "n.ndjson", lines)))
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert (out["ingested"], out["quarantined"]) == (1, 2)
    assert "NaN is not valid JSON" in out["problems"][0]
    assert "out of range" in out["problems"][1]
    assert cli("verify").exit_code == 0


def test_a_line_over_the_size_limit_is_quarantined_without_being_read_whole(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.sources import files

    monkeypatch.setattr(files, "MAX_LINE_BYTES", 4096)
    cli("init")
    huge = json.dumps({**WAZUH, "id": "huge", "full_log": "A" * 50_000})
    path = _write(tmp_path / "big.ndjson", [json.dumps(WAZUH), huge, json.dumps(SURICATA)])
    result = cli("ingest", "--json", str(path))
    assert result.exit_code == 1
    out = json.loads(result.stdout)
    assert (out["ingested"], out["quarantined"]) == (2, 1)
    assert "line 2: line longer than" in out["problems"][0]
