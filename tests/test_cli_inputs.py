"""What the command line does with its inputs: every ingest argument processed and accounted for,
option names that say what they are, and errors and summaries that say what is wrong."""

from __future__ import annotations

import errno
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.commands import Commands
from triage.sources.base import RawRecord
from triage.sources.files import FileSource

from .conftest import SAMPLES, Cli
from .test_profiles import ECS, SURICATA, WAZUH

SUMMARY = re.compile(
    r"^\d+ ingested, \d+ updated, \d+ already present, \d+ collisions, \d+ quarantined$", re.M
)


def _alerts(n: int, start: int = 0) -> str:
    return "".join(json.dumps({**WAZUH, "id": f"w-{start + i}"}) + "\n" for i in range(n))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _sources(cli: Cli) -> list[str]:
    rows = cli.json("alerts", "--status", "all")
    return [r["source"] for r in sorted(rows, key=lambda r: r["id"])]


# -- ingest: every argument is processed ---------------------------------------------------------


def test_a_directory_among_the_files_is_an_error_of_its_own_and_the_rest_go_on(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    a = _write(tmp_path / "a.ndjson", _alerts(2))
    sub = tmp_path / "sub"
    _write(sub / "inner.ndjson", _alerts(1, 10))
    b = _write(tmp_path / "b.ndjson", _alerts(3, 20))
    result = cli("ingest", str(a), str(sub), str(b))
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "5 ingested, 0 updated, 0 already present, 0 collisions, 0 quarantined"
    ]
    assert result.stderr.splitlines() == [
        f"triage: error: {sub}: is a directory (give --recursive to ingest the *.json, *.ndjson or "
        "*.jsonl files in it)"
    ]
    assert _sources(cli) == ["a.ndjson"] * 2 + ["b.ndjson"] * 3  # the file after the directory too


def test_the_bundled_samples_with_a_shell_glob(cli: Cli) -> None:
    """The reported case: `triage ingest sample_logs/*` has a README and the scenarios folder."""
    cli("init")
    args = sorted(str(p) for p in SAMPLES.glob("*"))
    last = [p for p in args if Path(p).is_file()][-1]
    result = cli("ingest", *args)
    assert result.exit_code == 1
    assert SUMMARY.search(result.stdout), result.stdout
    assert f"triage: error: {SAMPLES / 'scenarios'}: is a directory" in result.stderr
    assert "quarantined: README.md line 1:" in result.stderr
    assert Path(last).name in set(_sources(cli))  # files after the directory are ingested


def test_recursive_walks_json_ndjson_and_jsonl_files_in_sorted_order(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    top = tmp_path / "drop"
    _write(top / "z.ndjson", _alerts(1, 0))
    _write(top / "b" / "y.jsonl", _alerts(1, 1))
    _write(top / "b" / "a.json", json.dumps([{**SURICATA}], indent=2))
    _write(top / "a" / "x.ndjson", _alerts(1, 3))
    _write(top / "a" / "notes.md", "# not alerts\n")
    _write(top / "a" / "scenario.yaml", "id: x\n")
    _write(top / ".hidden" / "h.ndjson", _alerts(1, 4))
    _write(top / ".h.ndjson", _alerts(1, 5))
    result = cli("ingest", "--recursive", str(top))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "4 ingested, 0 updated, 0 already present, 0 collisions, 0 quarantined"
    ]
    assert result.stderr == ""
    assert _sources(cli) == ["x.ndjson", "a.json", "y.jsonl", "z.ndjson"]  # a/x, b/a, b/y, z
    assert cli.json("quarantine") == []


def test_recursive_on_the_bundled_samples_is_clean(cli: Cli) -> None:
    cli("init")
    result = cli("ingest", "-r", str(SAMPLES))
    assert result.exit_code == 0, result.output
    assert SUMMARY.search(result.stdout) and " 0 quarantined" in result.stdout
    scenarios = {p.name for p in (SAMPLES / "scenarios").rglob("*.*json")}
    assert scenarios and scenarios <= set(_sources(cli))


def test_an_empty_directory_is_a_note_not_a_failure(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    (tmp_path / "empty").mkdir()
    result = cli("ingest", "-r", str(tmp_path / "empty"))
    assert result.exit_code == 0
    assert result.stderr.splitlines() == [
        f"note: {tmp_path / 'empty'}: no *.json, *.ndjson or *.jsonl files in it"
    ]
    assert SUMMARY.search(result.stdout)


def test_a_missing_file_is_an_error_of_its_own_with_the_summary_and_json_errors(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    good = _write(tmp_path / "good.ndjson", _alerts(2))
    missing = tmp_path / "nope.ndjson"
    result = cli("ingest", str(missing), str(good))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"triage: error: {missing}: cannot read (No such file or directory)"
    ]
    assert result.stdout.splitlines() == [
        "2 ingested, 0 updated, 0 already present, 0 collisions, 0 quarantined"
    ]
    out = cli("ingest", "--json", str(good), str(missing), str(tmp_path))
    assert out.exit_code == 1
    doc = json.loads(out.stdout)
    assert (doc["ingested"], doc["present"]) == (0, 2)
    assert doc["errors"] == [
        {"path": str(missing), "error": "cannot read (No such file or directory)"},
        {
            "path": str(tmp_path),
            "error": "is a directory (give --recursive to ingest the *.json, *.ndjson or *.jsonl files in it)",  # noqa: E501
        },
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_an_error_of_its_own(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    locked = _write(tmp_path / "locked.ndjson", _alerts(1))
    locked.chmod(0)
    good = _write(tmp_path / "good.ndjson", _alerts(1, 5))
    result = cli("ingest", str(locked), str(good))
    assert result.exit_code == 1
    assert f"triage: error: {locked}: cannot read (Permission denied)" in result.stderr
    assert "1 ingested" in result.stdout


def test_a_read_that_fails_midway_keeps_and_counts_what_was_read(
    cmds: Commands, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.cli import inputs

    path = _write(tmp_path / "flaky.ndjson", _alerts(3))
    real = FileSource.records

    def records(self: FileSource) -> Iterator[RawRecord]:
        for n, rec in enumerate(real(self)):
            if n == 2:
                raise OSError(errno.EIO, "Input/output error")
            yield rec

    monkeypatch.setattr(inputs.FileSource, "records", records)
    run = inputs.ingest_paths(cmds, [str(path)])
    assert run.result.ingested == 2 and not run.ok
    assert [str(e) for e in run.errors] == [
        f"{path}: cannot read past record 2 (Input/output error); the records before it were read"
    ]


def test_clean_ingest_exits_0(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    path = _write(tmp_path / "a.ndjson", _alerts(2) + json.dumps(ECS) + "\n")
    result = cli("ingest", str(path))
    assert result.exit_code == 0 and result.stderr == ""
    again = cli("ingest", str(path))
    assert again.exit_code == 0 and again.stderr == ""
    assert again.stdout.splitlines() == [
        "0 ingested, 0 updated, 3 already present, 0 collisions, 0 quarantined"
    ]


def test_reingesting_quarantined_lines_says_so_and_still_fails(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    path = _write(tmp_path / "mixed.ndjson", _alerts(1) + "not json\n" + '{"unknown": 1}\n')
    first = cli("ingest", str(path))
    assert first.exit_code == 1 and "2 quarantined" in first.stdout
    again = cli("ingest", str(path))
    assert again.exit_code == 1
    assert again.stdout.splitlines() == [
        "0 ingested, 0 updated, 3 already present, 0 collisions, 0 quarantined"
    ]
    assert again.stderr.splitlines() == [
        "note: 2 records were quarantined before (triage quarantine lists them)"
    ]
    doc = json.loads(cli("ingest", "--json", str(path)).stdout)
    assert (doc["present"], doc["quarantined_before"], doc["quarantined"], doc["errors"]) == (3, 2, 0, [])


# -- option names -------------------------------------------------------------------------------


def test_key_and_anchor_file_options_have_one_name_each_and_old_spellings_still_work(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    key, anchors = tmp_path / "k" / "anchor.key", tmp_path / "shipped" / "anchors.jsonl"
    assert cli("keygen", "--signing-key", str(key)).exit_code == 0
    assert cli("anchor", "--signing-key", str(key), "--anchor-file", str(anchors)).exit_code == 0
    ok = cli("verify", "--anchor-file", str(anchors), "--public-key", f"{key}.pub")
    assert ok.exit_code == 0 and "1 of 1 checkpoints valid" in ok.stdout
    # the spellings of earlier versions, kept for existing scripts
    assert cli("keygen", "--key", str(tmp_path / "k2" / "anchor.key")).exit_code == 0
    assert cli("anchor", "--key", str(key), "--out", str(anchors)).exit_code == 0
    ok = cli("verify", "--anchors", str(anchors), "--public-key", f"{key}.pub")
    assert ok.exit_code == 0 and "2 of 2 checkpoints valid" in ok.stdout
    for command, new, old in [
        (("keygen",), ["--signing-key"], ["--key"]),
        (("anchor",), ["--signing-key", "--anchor-file"], ["--key", "--out"]),
        (("verify",), ["--anchor-file", "--public-key"], ["--anchors"]),
        (("evidence", "export"), ["--signing-key"], ["--key"]),
    ]:
        shown = cli(*command, "--help").stdout
        assert all(f"{o} " in shown for o in new), command
        assert not any(re.search(rf"(^|[\s,]){o}\b", shown) for o in old), (command, shown)


# -- the status counts under `triage alerts` ------------------------------------------------------


def test_status_counts_follow_the_filters_of_the_listing(cli: Cli, tmp_path: Path) -> None:
    cli("init")
    docs = [
        {**WAZUH, "id": "h1", "rule": {**WAZUH["rule"], "level": 11}},  # high
        {**WAZUH, "id": "h2", "rule": {**WAZUH["rule"], "level": 11}},
        {**WAZUH, "id": "h3", "rule": {**WAZUH["rule"], "level": 11}},
        {**WAZUH, "id": "l1", "rule": {**WAZUH["rule"], "level": 5}},  # low
        {**WAZUH, "id": "l2", "rule": {**WAZUH["rule"], "level": 5}},
    ]
    path = _write(tmp_path / "a.ndjson", "".join(json.dumps(d) + "\n" for d in docs))
    assert cli("ingest", str(path)).exit_code == 0
    rows = {r["doc_id"]: r["id"] for r in cli.json("alerts", "--status", "all")}
    assert cli("ack", str(rows["h1"]), analyst="bob").exit_code == 0  # acknowledged, owned by bob
    closed = cli("close", str(rows["h2"]), "-d", "false_positive", "-r", "lab host", "--override", "lab")
    assert closed.exit_code == 0
    assert cli("ack", str(rows["l1"]), analyst="bob").exit_code == 0

    def counts(*args: str) -> str:
        return cli("alerts", *args).stdout.splitlines()[-1]

    assert counts() == "4 shown; 2 new, 2 acknowledged, 1 closed"
    assert counts("--severity", "high") == "2 shown; 1 new, 1 acknowledged, 1 closed"
    assert counts("--severity", "low", "--status", "new") == "1 shown; 1 new, 1 acknowledged, 0 closed"
    assert counts("--assignee", "bob") == "2 shown; 0 new, 2 acknowledged, 0 closed"
    assert counts("--unassigned", "--status", "all") == "3 shown; 2 new, 0 acknowledged, 1 closed"
    assert counts("--severity", "critical") == "0 shown; 0 new, 0 acknowledged, 0 closed"


# -- usage: global options, `triage` alone, time options -------------------------------------------


@pytest.mark.parametrize(
    ("args", "name", "hint"),
    [
        (("alerts", "--db", "x.db"), "--db", "triage --db x.db alerts"),
        (("alerts", "--status", "all", "--analyst=bob"), "--analyst",
         "triage --analyst=bob alerts --status all"),
        (("--analyst", "bob", "evidence", "export", "--config", "c.toml", "--month", "2026-10"), "--config",
         "triage --analyst bob --config c.toml evidence export --month 2026-10"),
        (("alerts", "--playbooks"), "--playbooks", "triage --playbooks PLAYBOOKS alerts"),
    ],
)  # fmt: skip
def test_a_global_option_after_the_command_gets_a_hint(
    cli: Cli, args: tuple[str, ...], name: str, hint: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert f"Error: {name} is a global option: put it before the command: {hint}" in result.stderr


def test_an_unknown_option_is_still_refused_plainly(cli: Cli) -> None:
    result = cli("alerts", "--bogus")
    assert result.exit_code == 2 and "No such option: --bogus" in result.stderr


def test_triage_alone_prints_the_help_and_exits_0(cli: Cli) -> None:
    result = cli()
    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: triage") and "Commands:" in result.stdout
    group = cli("evidence")
    assert group.exit_code == 0 and "export" in group.stdout


def test_a_bad_time_names_its_option_with_an_example(cli: Cli) -> None:
    cli("init")
    result = cli("log", "--since", "yesterday")
    assert result.exit_code == 2
    assert (
        "Invalid value for '--since': 'yesterday' is not a date or time "
        "(e.g. --since 2026-10-01 or --since 2026-10-01T12:00Z)"
    ) in result.stderr
    assert "'--until'" in cli("log", "--until=soon").stderr


# -- verify without the public key ---------------------------------------------------------------


def test_verify_without_a_public_key_says_what_is_missing_and_does_not_count_checkpoints_valid(
    cli: Cli, tmp_path: Path
) -> None:
    cli("init")
    assert cli("ingest", str(_write(tmp_path / "a.ndjson", _alerts(3)))).exit_code == 0
    key, anchors = tmp_path / "k" / "anchor.key", tmp_path / "anchors.jsonl"  # (old option names: both work)
    assert cli("keygen", "--key", str(key)).exit_code == 0
    for _ in range(3):
        assert cli("anchor", "--key", str(key), "--out", str(anchors)).exit_code == 0
    result = cli("verify", "--anchors", str(anchors))
    assert result.exit_code == 1
    summary = result.stdout.splitlines()[-1]
    assert summary.startswith(
        "INVALID: 3 of 3 events valid, but 3 checkpoints could not be checked: no public key "
        "(give --public-key or public_key in the config); head 3 "
    ), summary
    assert "FAIL log: the signatures of 3 checkpoints could not be checked: no public key" in result.stdout
    doc = json.loads(cli("verify", "--anchors", str(anchors), "--json").stdout)
    assert (doc["ok"], doc["checkpoints_valid"], doc["checkpoints_unchecked"]) == (False, 0, 3)
    good = cli("verify", "--anchors", str(anchors), "--public-key", f"{key}.pub")
    assert good.exit_code == 0
    assert good.stdout.splitlines()[-1].startswith(
        "VALID: 3 of 3 events valid; 3 of 3 checkpoints valid; head 3 "
    )
