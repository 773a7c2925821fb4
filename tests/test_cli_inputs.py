"""What the command line does with its inputs: every ingest argument processed and accounted for,
option names that say what they are, and errors and summaries that say what is wrong."""

from __future__ import annotations

import errno
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from triage.commands import Commands
from triage.sources.base import RawRecord
from triage.sources.files import FileSource

from .conftest import Cli
from .test_profiles import WAZUH


def _alerts(n: int, start: int = 0) -> str:
    return "".join(json.dumps({**WAZUH, "id": f"w-{start + i}"}) + "\n" for i in range(n))


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


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
