"""Shipped playbooks load; broken playbooks fail with file, line, field and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from triage.errors import PlaybookError
from triage.playbooks import PlaybookSet, from_dict, from_file

from .conftest import PLAYBOOKS, make_alert

VALID = """\
id: test-pb
title: Test
match:
  rule_names: ["*test*"]
targets:
  critical: {acknowledge: 15m, close: 4h}
  high: {acknowledge: 30m, close: 8h}
  medium: {acknowledge: 4h, close: 2d}
  low: {acknowledge: 1d, close: 5d}
  informational: {acknowledge: 3d, close: 14d}
steps:
  - id: validate
    title: Validate
    required: true
"""


def test_shipped_playbooks(playbooks: PlaybookSet) -> None:
    ids = set(playbooks.playbooks)
    assert {
        "brute-force",
        "malware-endpoint",
        "cloud-iam",
        "data-exfiltration",
        "phishing",
        "privilege-escalation",
        "default",
    } <= ids
    assert playbooks.default is not None and playbooks.default.id == "default"
    for pb in playbooks.playbooks.values():
        assert pb.required_steps, pb.id
        assert len(pb.steps) >= 4, pb.id


@pytest.mark.parametrize(
    ("rule", "techniques", "tags", "expected"),
    [
        ("Potential Password Spraying", (), (), "brute-force"),
        ("Something", ("T1110.003",), (), "brute-force"),
        ("Ransomware behaviour detected", (), (), "malware-endpoint"),
        ("AWS IAM access key created", (), (), "cloud-iam"),
        ("User reported phishing email", (), (), "phishing"),
        ("Large upload to personal cloud storage", ("T1567",), (), "data-exfiltration"),
        ("User added to Domain Admins", (), (), "privilege-escalation"),
        ("ET SCAN Nmap Scripting Engine", (), (), "network-intrusion"),
        ("Disk almost full", (), (), "default"),
        ("William logged in", (), (), "default"),  # "iam" inside a word is not IAM
    ],
)
def test_matching(
    playbooks: PlaybookSet, rule: str, techniques: tuple[str, ...], tags: tuple[str, ...], expected: str
) -> None:
    alert = make_alert(rule_name=rule, title=rule, techniques=techniques, tags=tags)
    matched = playbooks.match(alert)
    assert matched is not None and matched.id == expected


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(PlaybookError) as exc:
        from_file(path)
    return exc.value.problems


def test_valid_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(VALID)
    assert from_file(path).required_steps == ("validate",)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("  high: {acknowledge: 30m, close: 8h}\n", "  high: {acknowledge: 30m, close: eight}\n"),
            ":7: targets.high.close: not a duration: 'eight'",
        ),
        (
            ('  rule_names: ["*test*"]\n', '  rule_names: ["*test*"]\n  techniques: [X1]\n'),
            ":5: match.techniques: 'X1' is not a MITRE ATT&CK technique id",
        ),
        (
            ("  informational: {acknowledge: 3d, close: 14d}\n", ""),
            ":5: targets: no time targets for severity informational",
        ),
        (("  - id: validate\n", "  - id: Validate Step\n"), ":12: steps[0].id: step id 'Validate Step'"),
        (("title: Test\n", "title: Test\ncolour: blue\n"), ":3: colour: Extra inputs are not permitted"),
        (("steps:\n", "steps: [\n"), "YAML syntax"),
    ],
)
def test_invalid_playbook_names_file_line_field(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    problems = _problems(tmp_path, VALID.replace(*change))
    assert any(str(tmp_path / "bad.yaml") in p and expected in p for p in problems), problems


def test_all_problems_are_collected(tmp_path: Path) -> None:
    text = VALID.replace("30m, close: 8h", "30m, close: 8q").replace("- id: validate", "- id: BAD")
    assert len(_problems(tmp_path, text)) == 2


def test_match_required_unless_default() -> None:
    import yaml

    data = yaml.safe_load(VALID)
    del data["match"]
    with pytest.raises(PlaybookError, match="match: give at least one"):
        from_dict(data)


def test_directory_collects_errors_from_every_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALID.replace("close: 8h", "close: x"))
    (tmp_path / "b.yaml").write_text("id: [")
    (tmp_path / "c.yaml").write_text(VALID)
    (tmp_path / "d.yaml").write_text(VALID)  # same id twice
    with pytest.raises(PlaybookError) as exc:
        PlaybookSet.from_directory(tmp_path)
    text = "\n".join(exc.value.problems)
    assert "a.yaml:7" in text and "b.yaml:1: YAML syntax" in text


def test_duplicate_ids_refused(tmp_path: Path) -> None:
    (tmp_path / "c.yaml").write_text(VALID)
    (tmp_path / "d.yaml").write_text(VALID)
    with pytest.raises(PlaybookError, match="defined twice"):
        PlaybookSet.from_directory(tmp_path)


def test_shipped_directory_is_the_one_in_the_repo() -> None:
    assert PLAYBOOKS.is_dir()
