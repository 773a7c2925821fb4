"""The shift handover: what it lists, in Markdown and JSON; recording it; the evidence pack's
handovers.csv and its check; the terminal app's key."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from triage import clock
from triage.commands import Commands
from triage.domain import events as ev
from triage.evidence import ExportRequest, export_pack, verify_pack
from triage.evidence.pack import manifest_bytes
from triage.playbooks import PlaybookSet
from triage.shift import build_handover, handover_markdown
from triage.store import anchor as anchoring
from triage.store.workspace import Workspace

from .conftest import Cli, make_alert
from .test_evidence import FakeClock

KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))


@pytest.fixture
def fc() -> Iterator[FakeClock]:
    f = FakeClock()
    clock.set_clock(f)
    yield f
    clock.set_clock(None)


def _one(cmds: Commands, **fields: object) -> int:
    (alert_id,) = cmds.ingest([make_alert(**fields)]).alert_ids
    return alert_id


def _shift(ws: Workspace, playbooks: PlaybookSet, fc: FakeClock) -> dict[str, int]:
    """Before the shift (which runs 8 October 08:00-16:00): an old open alert and one closed.
    In it: new alerts, a close, a note, a step note, an escalation. Brute-force high: ack 30m,
    close 8h; medium (default playbook): ack 8h, close 3d."""
    poller, bob = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "bob")
    ids: dict[str, int] = {}
    fc.at(10, 7, 9)
    ids["old_open"] = _one(poller, severity="high")  # acknowledged: close target 17:00 on the 7th: breached
    bob.acknowledge(ids["old_open"])
    ids["old_closed"] = _one(poller, severity="high")
    fc.at(10, 7, 10)
    bob.close(ids["old_closed"], "false_positive", "before the shift", override="done elsewhere")
    fc.at(10, 8, 9)
    ids["new_ack_late"] = _one(poller, severity="high")  # ack due 09:30: breached, unowned
    fc.at(10, 8, 10)
    ids["closed_in_shift"] = _one(poller, severity="high", title="Closed \x1b[31m in shift")
    fc.at(10, 8, 10, 5)
    bob.acknowledge(ids["closed_in_shift"])
    bob.note(ids["closed_in_shift"], "checked the | pentest window")
    bob.complete_step(ids["closed_in_shift"], "validate", note="ten failures then a success")
    fc.at(10, 8, 11)
    bob.close(ids["closed_in_shift"], "true_positive", "blocked", override="contained")
    fc.at(10, 8, 12)
    ids["medium"] = _one(poller, severity="medium", rule_name="Weird thing", title="Weird", techniques=())
    # acknowledged at 12:00, close target 8h after it reached the queue: 20:00, in the next shift
    ids["due_soon"] = _one(poller, severity="high")
    fc.at(10, 8, 12, 10)
    bob.acknowledge(ids["due_soon"])
    bob.escalate(ids["due_soon"], title="Credential stuffing")
    fc.at(10, 8, 16)
    return ids


def test_the_handover_lists_what_the_next_shift_needs(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    ids = _shift(ws, playbooks, fc)
    h = build_handover(ws, until=fc.now, length=timedelta(hours=8), written_by="carol")
    d = h.as_dict()
    assert (d["since"], d["until"]) == ("2026-10-08T08:00:00.000000Z", "2026-10-08T16:00:00.000000Z")
    opened = ("new_ack_late", "closed_in_shift", "medium", "due_soon")
    assert {a["id"] for a in d["opened"]} == {ids[k] for k in opened}
    assert [(c["id"], c["disposition"], c["closed_by"]) for c in d["closed"]] == [
        (ids["closed_in_shift"], "true_positive", "bob")
    ]
    still = {a["id"]: a for a in d["still_open"]}
    assert set(still) == {ids[k] for k in ("old_open", "new_ack_late", "medium", "due_soon")}
    assert still[ids["old_open"]]["owner"] == "bob" and still[ids["new_ack_late"]]["owner"] is None
    breached = {a["id"]: a for a in d["breached"]}
    assert set(breached) == {ids["old_open"], ids["new_ack_late"]}
    assert breached[ids["new_ack_late"]]["target"] == "acknowledge"
    assert breached[ids["new_ack_late"]]["over_s"] == 6.5 * 3600
    assert breached[ids["old_open"]]["target"] == "close"
    # the medium alert's acknowledge target (20:00) and the escalated one's close target (20:00)
    assert {a["id"] for a in d["due_next_shift"]} == {ids["medium"], ids["due_soon"]}
    assert [(i["id"], i["title"], i["owner"]) for i in d["incidents"]] == [(1, "Credential stuffing", "bob")]
    assert [(n["alert"], n["text"], n.get("step")) for n in d["notes"]] == [
        (ids["closed_in_shift"], "checked the | pentest window", None),
        (ids["closed_in_shift"], "ten failures then a success", "validate"),
    ]
    assert h.counts()["breached"] == 2
    assert d["suppressions"] == []
    assert d["open_by_owner"] == [
        {"owner": "bob", "open": 2, "breached": 1, "worst": "high"},
        {"owner": None, "open": 2, "breached": 1, "worst": "high"},
    ]


def test_the_handover_names_suppressions_created_or_expiring(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    from datetime import timedelta as td

    alice = Commands(ws, playbooks, "alice")
    reason = "vendor pentest window, ticket SEC-123"
    fc.at(10, 1, 9)
    alice.add_suppression("host:old-01", reason, td(days=7, hours=5))  # expires 8 Oct 14:00: in the shift
    alice.add_suppression("host:old-02", reason, td(days=7, hours=10))  # 8 Oct 19:00: the next shift
    alice.add_suppression("host:old-03", reason, td(days=30))
    fc.at(10, 8, 10)
    alice.add_suppression("host:new-01", reason, td(days=14))
    fc.at(10, 8, 11)
    (noise,) = Commands(ws, playbooks, "poller").ingest([make_alert(host="new-01")]).alert_ids
    fc.at(10, 8, 16)
    h = build_handover(ws, until=fc.now, length=timedelta(hours=8), written_by="carol")
    assert [(r["id"], r["why"]) for r in h.as_dict()["suppressions"]] == [
        (1, "expiring"),
        (2, "expiring"),
        (4, "created"),
    ]
    text = handover_markdown(h)
    assert "## Suppression rules created or expiring (3)" in text and "host:new-01" in text
    # the alert the rule closed is counted, not listed as opened or closed
    assert h.counts()["suppressed"] == 1 and "1 suppressed" in text
    assert noise not in [a["id"] for a in h.opened + h.closed]


def test_the_markdown_escapes_alert_text(ws: Workspace, playbooks: PlaybookSet, fc: FakeClock) -> None:
    _shift(ws, playbooks, fc)
    text = handover_markdown(build_handover(ws, until=fc.now, length=timedelta(hours=8), written_by="carol"))
    assert "\x1b" not in text
    assert "Closed \\\\x1b\\[31m in shift" in text
    assert "checked the \\| pentest window" in text  # a pipe cannot split the table's cell
    assert "## Targets breached (2)" in text and "## Targets due within the next shift (2)" in text
    assert "| unassigned | 2 | 1 | high |" in text


def test_long_markdown_tables_say_how_many_more(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.shift import render

    _shift(ws, playbooks, fc)
    monkeypatch.setattr(render, "MAX_ROWS", 3)
    h = build_handover(ws, until=fc.now, length=timedelta(hours=8), written_by="carol")
    still = handover_markdown(h).split("## Alerts still open (4)", 1)[1].split("\n## ", 1)[0]
    assert still.count("\n| ") == 5  # the header, its rule and 3 rows
    assert "... and 1 more (`triage handover --json` lists every one)." in still
    assert len(h.as_dict()["still_open"]) == 4


def test_handover_cli_records_its_sha256_and_the_pack_lists_it(
    tmp_path: Path, playbooks: PlaybookSet, fc: FakeClock, cli: Cli
) -> None:
    ws = Workspace.create(cli.db)
    _shift(ws, playbooks, fc)
    ws.close()
    out = tmp_path / "handover.md"
    result = cli("handover", "--since", "8h", "--out", str(out), "--record", analyst="carol")
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert digest in result.stderr and str(out) in result.stderr
    again = cli("handover", "--since", "8h", "--out", str(out))
    assert again.exit_code != 0 and "never overwritten" in again.output  # a handover is never overwritten
    as_json = cli("handover", "--json")
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["counts"]["breached"] == 2
    bad = cli("handover", "--since", "8 hours")
    assert bad.exit_code == 2 and "--since 8h" in bad.output

    ws = Workspace.open(cli.db)
    (event,) = [e for e in ws.events() if e.action == ev.SHIFT_HANDOVER]
    assert event.actor == "carol" and event.payload["sha256"] == digest
    assert event.payload["format"] == "markdown" and event.payload["counts"]["still_open"] == 4
    assert event.payload["since"] == "2026-10-08T08:00:00.000000Z"

    fc.at(11, 2)
    req = ExportRequest(month="2026-10", out=tmp_path / "pack", key=KEY, actor="secops")
    pack = export_pack(ws, req).path
    rows = (pack / "handovers.csv").read_text().splitlines()
    assert len(rows) == 2 and rows[1].startswith(f"{event.seq},") and digest in rows[1]
    assert "Shift handovers recorded" in (pack / "report.md").read_text()
    trusted = anchoring.public_raw(KEY.public_key())
    assert verify_pack(pack, trusted).ok

    # Someone holding the signing key rewrites handovers.csv and re-signs the manifest: the
    # rows are rebuilt from the handover events of log.jsonl and no longer match.
    csv_path = pack / "handovers.csv"
    csv_path.write_text(csv_path.read_text().replace(digest, "0" * 64))
    manifest = json.loads((pack / "manifest.json").read_text())
    for entry in manifest["files"]:
        entry["sha256"] = hashlib.sha256((pack / entry["path"]).read_bytes()).hexdigest()
        entry["bytes"] = (pack / entry["path"]).stat().st_size
    data = manifest_bytes(manifest)
    (pack / "manifest.json").write_bytes(data)
    (pack / "manifest.sig").write_text(base64.b64encode(KEY.sign(data)).decode() + "\n")
    report = verify_pack(pack, trusted)
    assert report.problems == [
        f"handovers.csv row 2: differs from the row built from event {event.seq} in log.jsonl"
    ]
    ws.close()


@pytest.mark.asyncio
async def test_the_terminal_app_writes_the_handover_of_the_last_8h(
    tui_ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.config import data_dir

    from .tui_helpers import NOW, make_app

    monkeypatch.setenv(
        "XDG_DATA_HOME", str(tmp_path / "data")
    )  # a server's workspace: this host's data folder

    app = make_app(tui_ws, playbooks)
    async with app.run_test() as pilot:
        await pilot.press("H")
        await pilot.pause()
        folder = (tui_ws.path.parent if tui_ws.path is not None else data_dir()) / "handovers"
        (written,) = folder.iterdir()
        text = written.read_text()
        assert text.startswith(f"# Shift handover: {(NOW - timedelta(hours=8)).isoformat()[:10]}")
        assert "## Alerts still open (13)" in text
        (note,) = [n for n in app._notifications]
        assert str(written) in note.message
    assert not any(e.action == ev.SHIFT_HANDOVER for e in tui_ws.events())  # written, not recorded
