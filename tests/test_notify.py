"""Notifications through real local servers: a webhook receiver that answers 500 for a while
and an SMTP server with STARTTLS and AUTH. Each notification is sent once, retried with
backoff, recorded as an event (failed ones too), never with a secret in the log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from triage import clock
from triage.app.notify import Notifier, NotifierBusy
from triage.clock import ManualClock
from triage.commands import Commands
from triage.config import NotifyTarget, load_settings
from triage.domain import events as ev
from triage.errors import ConfigError
from triage.playbooks import PlaybookSet
from triage.store.workspace import Workspace

from .conftest import ROOT, Cli, make_alert
from .local_endpoints import SmtpServer, WebhookServer
from .test_evidence import FakeClock

TOKEN = "T0KEN-xoxb-very-secret"
PASSWORD = "smtp-pa55word-secret"


@pytest.fixture
def hook() -> Iterator[WebhookServer]:
    with WebhookServer() as server:
        yield server


@pytest.fixture
def fc() -> Iterator[FakeClock]:
    f = FakeClock()
    f.at(10, 1, 12)
    clock.set_clock(f)
    yield f
    clock.set_clock(None)


def webhook(hook: WebhookServer, **over: Any) -> NotifyTarget:
    fields: dict[str, Any] = {
        "name": "soc-channel",
        "kind": "webhook",
        "url": hook.url(TOKEN),
        "events": ["breach", "due_soon", "assigned", "critical", "escalated"],
        "due_soon_minutes": 10,
        "backoff": 0.5,
        "max_attempts": 4,
    }
    fields.update(over)
    return NotifyTarget.model_validate(fields)


def notifications(ws: Workspace) -> list[dict[str, Any]]:
    return [e.payload for e in ws.events() if e.action == ev.NOTIFICATION_SENT]


def no_secret_in(ws: Workspace, *secrets: str) -> None:
    for (body,) in ws.conn.execute("SELECT body FROM events"):
        for secret in secrets:
            assert secret not in body


def test_event_notifications_are_sent_once_each(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock
) -> None:
    poller, alice = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "alice")
    (crit,) = poller.ingest([make_alert(severity="critical", title="Beacon <!channel> to C2")]).alert_ids
    (low,) = poller.ingest([make_alert(severity="low")]).alert_ids
    alice.assign(low, "bob")  # bob is told
    alice.acknowledge(crit)  # alice takes it herself: nobody to tell
    alice.escalate(crit, title="C2 beacon")
    notifier = Notifier([webhook(hook)], Commands(ws, playbooks, "notifier"), start_seq=0)
    result = notifier.run_once()
    assert (result.sent, result.failed) == (3, 0)
    texts = [p.body["text"] for p in hook.rec.delivered()]
    assert texts[0].startswith(f"CRITICAL alert {crit}: Beacon &lt;!channel&gt; to C2")  # no @channel
    assert texts[1].startswith(f"Alert {low} (low) assigned to bob by alice")
    assert texts[2].startswith(f"Alert {crit} (critical) escalated to incident 1 (new incident) by alice")
    assert all(p.path == f"/hooks/{TOKEN}" for p in hook.rec.posts)
    assert len({p.headers["Idempotency-Key"] for p in hook.rec.posts}) == 3
    recorded = notifications(ws)
    assert [(n["kind"], n["alert"], n["outcome"], n["attempts"]) for n in recorded] == [
        ("critical", crit, "sent", 1), ("assigned", low, "sent", 1), ("escalated", crit, "sent", 1),
    ]  # fmt: skip
    # again, and after a restart: nothing is sent twice
    assert notifier.run_once().sent == 0
    assert Notifier([webhook(hook)], Commands(ws, playbooks, "notifier")).run_once().sent == 0
    assert len(hook.rec.posts) == 3
    # the alert's timeline shows who was told; the fold passes over it; a rebuild agrees
    timeline = [e.action for e in ws.events(ref=f"alert:{crit}")]
    assert timeline.count(ev.NOTIFICATION_SENT) == 2
    _n, same = ws.rebuild(dry_run=True)
    assert same
    no_secret_in(ws, TOKEN)


def test_a_webhook_answering_500_is_retried_with_backoff(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock
) -> None:
    hook.rec.fail_next = 3
    Commands(ws, playbooks, "poller").ingest([make_alert(severity="critical")])
    sleeps = ManualClock()
    notifier = Notifier([webhook(hook)], Commands(ws, playbooks, "n"), start_seq=0, clock=sleeps)
    assert notifier.run_once().sent == 1
    assert [p.status for p in hook.rec.posts] == [500, 500, 500, 200]
    assert sleeps.slept == [0.5, 1.0, 2.0]  # doubling
    (sent,) = notifications(ws)
    assert (sent["outcome"], sent["attempts"], sent["detail"]) == ("sent", 4, "HTTP 200")


def test_a_notification_that_keeps_failing_is_recorded_as_failed_and_not_retried_forever(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock
) -> None:
    hook.rec.always_fail = True
    (alert,) = Commands(ws, playbooks, "poller").ingest([make_alert(severity="critical")]).alert_ids
    notifier = Notifier([webhook(hook, max_attempts=3)], Commands(ws, playbooks, "n"), start_seq=0,
                        clock=ManualClock())  # fmt: skip
    result = notifier.run_once()
    assert (result.sent, result.failed) == (0, 1)
    (failed,) = notifications(ws)
    assert (failed["outcome"], failed["attempts"], failed["detail"], failed["alert"]) == (
        "failed", 3, "HTTP 500", alert
    )  # fmt: skip
    hook.rec.always_fail = False
    assert notifier.run_once().sent == 0 and len(hook.rec.posts) == 3
    assert Commands(ws, playbooks, "n").notify_cursor("soc-channel") == ws.head()[0]  # read to the end


def test_a_webhook_that_is_down_is_retried_and_the_url_never_logged(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    from .local_endpoints import free_port

    target = NotifyTarget.model_validate(
        {"name": "down", "kind": "webhook", "url": f"http://127.0.0.1:{free_port()}/x/{TOKEN}",
         "events": ["critical"], "max_attempts": 2, "timeout": 2}
    )  # fmt: skip
    Commands(ws, playbooks, "poller").ingest([make_alert(severity="critical")])
    result = Notifier([target], Commands(ws, playbooks, "n"), start_seq=0, clock=ManualClock()).run_once()
    assert result.failed == 1
    (failed,) = notifications(ws)
    assert failed["detail"].startswith("not reached") and failed["attempts"] == 2
    no_secret_in(ws, TOKEN)


def test_breaches_and_targets_due_soon_come_from_the_clock_once_each(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock
) -> None:
    """Brute-force high: acknowledge within 30 minutes of reaching the queue (12:00)."""
    (alert,) = Commands(ws, playbooks, "poller").ingest([make_alert(severity="high")]).alert_ids
    now = [datetime(2026, 10, 1, 12, 15, tzinfo=UTC)]
    notifier = Notifier(
        [webhook(hook, events=["breach", "due_soon"])], Commands(ws, playbooks, "n"), now=lambda: now[0]
    )
    assert notifier.run_once().sent == 0  # 15 minutes left: not within 10
    now[0] = datetime(2026, 10, 1, 12, 21, tzinfo=UTC)
    assert notifier.run_once().sent == 1
    assert notifier.run_once().sent == 0
    now[0] = datetime(2026, 10, 1, 12, 31, tzinfo=UTC)
    assert notifier.run_once().sent == 1
    now[0] = datetime(2026, 10, 1, 13, 0, tzinfo=UTC)
    assert notifier.run_once().sent == 0
    texts = [p.body["text"] for p in hook.rec.delivered()]
    assert texts[0].startswith(f"Due soon: alert {alert} (high) acknowledge target due at 2026-10-01T12:30")
    assert "(in 9m)" in texts[0]
    assert texts[1].startswith(f"BREACH: alert {alert} (high) missed its acknowledge target")
    assert "1m ago); owner unassigned" in texts[1]
    kinds = [(n["kind"], n["due"]) for n in notifications(ws)]
    assert kinds == [("due_soon", "2026-10-01T12:30:00.000000Z"), ("breach", "2026-10-01T12:30:00.000000Z")]
    # acknowledged late: the close target runs now, due at 20:00; a breach of it is another notification
    fc.at(10, 1, 13)
    Commands(ws, playbooks, "bob").acknowledge(alert)
    now[0] = datetime(2026, 10, 1, 20, 1, tzinfo=UTC)
    assert notifier.run_once().sent == 1
    assert notifications(ws)[-1]["key"] == f"breach:{alert}:close:2026-10-01T20:00:00.000000Z"


def test_email_through_smtp_with_starttls_and_auth(
    ws: Workspace, playbooks: PlaybookSet, tmp_path: Path, fc: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TEST_SMTP_USER", "notifier")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    with SmtpServer(tmp_path, "notifier", PASSWORD) as smtp:
        target = NotifyTarget.model_validate(
            {
                "name": "mail", "kind": "email", "smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                "ca_certs": str(smtp.ca), "username_env": "TEST_SMTP_USER",
                "password_env": "TEST_SMTP_PASSWORD",
                "from": "triage@example.test", "to": ["soc@example.test"],
                "analysts": {"bob": "bob@example.test"}, "events": ["critical", "assigned"],
            }
        )  # fmt: skip
        poller, alice = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "alice")
        (crit,) = poller.ingest([make_alert(severity="critical", title="Ransom note")]).alert_ids
        (low,) = poller.ingest([make_alert(severity="low")]).alert_ids
        alice.assign(low, "bob")
        alice.assign(crit, "carol")  # carol has no address: nobody to tell by email
        said: list[str] = []
        result = Notifier([target], Commands(ws, playbooks, "n"), start_seq=0, report=said.append).run_once()
        assert (result.sent, result.failed) == (2, 0)
        assert (
            "mail: analyst carol has no address in analysts; assigned notifications for them are not sent"
            in said
        )
        assert smtp.logins == ["notifier", "notifier"]
        (m1_from, m1_to, m1), (_m2_from, m2_to, m2) = smtp.messages
        assert (m1_from, m1_to) == ("triage@example.test", ["soc@example.test"])
        assert (
            message_from_bytes(m1, policy=policy.default)["Subject"]
            == f"[triage] CRITICAL alert {crit}: Ransom note on web-01 (rule SSH Brute Force)"
        )
        assert m2_to == ["bob@example.test"]
        assert message_from_bytes(m2, policy=policy.default)["Subject"].startswith(
            f"[triage] Alert {low} (low) assigned to bob"
        )
        recorded = notifications(ws)
        assert [(n["recipient"], n["channel"], n["detail"]) for n in recorded] == [
            ("soc@example.test", "email", "SMTP accepted"), ("bob@example.test", "email", "SMTP accepted"),
        ]  # fmt: skip
        no_secret_in(ws, PASSWORD)

        # a wrong password is refused for good: recorded as failed at once, not retried
        monkeypatch.setenv("TEST_SMTP_PASSWORD", "wrong")
        poller.ingest([make_alert(severity="critical")])
        result = Notifier([target], Commands(ws, playbooks, "n"), clock=ManualClock()).run_once()
        assert result.failed == 1, notifications(ws)[-1]
        assert notifications(ws)[-1]["attempts"] == 1, notifications(ws)[-1]
        assert "login refused" in notifications(ws)[-1]["detail"]


def test_the_config_refuses_incomplete_targets(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[[notify]]\nname = "x"\nkind = "webhook"\nevents = ["breach"]\n')
    with pytest.raises(ConfigError, match="a webhook needs url or url_env"):
        load_settings(cfg)
    cfg.write_text(
        '[[notify]]\nname = "x"\nkind = "webhook"\nurl_env = "X"\nevents = ["breach"]\ncolour = 1\n'
    )
    with pytest.raises(ConfigError, match=r"notify\.0\.colour: unknown setting \(known settings: name, kind"):
        load_settings(cfg)
    cfg.write_text('[[notify]]\nname = "x"\nkind = "webhook"\nurl_env = "X"\nevents = ["lunch"]\n')
    with pytest.raises(ConfigError, match="events"):
        load_settings(cfg)


def test_one_notifier_per_workspace(ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer) -> None:
    first = Notifier([webhook(hook)], Commands(ws, playbooks, "n"))
    first.lock()
    other = Workspace.open(ws.location)  # another process's connection
    try:
        with pytest.raises(NotifierBusy, match="another notifier is running"):
            Notifier([webhook(hook)], Commands(other, playbooks, "n")).lock()
        first.unlock()
        second = Notifier([webhook(hook)], Commands(other, playbooks, "n"))
        second.lock()  # free again
        second.unlock()
    finally:
        first.unlock()
        other.close()


def test_killed_while_retrying_then_restarted_neither_loses_nor_repeats(
    tmp_path: Path, playbooks: PlaybookSet, hook: WebhookServer, cli: Cli
) -> None:
    """`triage notify` is killed (SIGKILL) while the webhook answers 500; the restarted one
    sends every notification once the receiver is back, each delivered exactly once."""
    ws = Workspace.create(cli.db)
    ids = (
        Commands(ws, playbooks, "poller")
        .ingest([make_alert(severity="critical") for _ in range(3)])
        .alert_ids
    )
    ws.close()
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'db = "{cli.db}"\n[[notify]]\nname = "soc"\nkind = "webhook"\nurl_env = "TEST_HOOK_URL"\n'
        'events = ["critical"]\nbackoff = 0.2\nmax_attempts = 20\n'
    )
    env = {**os.environ, "TRIAGE_CONFIG": str(cfg), "TEST_HOOK_URL": hook.url(TOKEN), "PYTHONPATH": str(ROOT)}
    hook.rec.always_fail = True
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", "notify", "--from-seq", "0", "--interval", "1s"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while len(hook.rec.posts) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert len(hook.rec.posts) >= 3 and not hook.rec.delivered()
    hook.rec.always_fail = False
    again = subprocess.run(
        [sys.executable, "-m", "triage", "notify", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0, again.stderr
    # the 3 alerts' events and the 3 notifications it recorded (read by the same pass)
    assert again.stdout.strip().endswith("3 sent, 0 failed, 6 events read")
    delivered = [p.body["text"] for p in hook.rec.delivered()]
    assert [t.split(":")[0] for t in delivered] == [f"CRITICAL alert {i}" for i in ids]
    once_more = subprocess.run(
        [sys.executable, "-m", "triage", "notify", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert once_more.stdout.strip().endswith("0 sent, 0 failed, 0 events read")
    assert len(hook.rec.delivered()) == 3
    ws = Workspace.open(cli.db)
    assert [n["outcome"] for n in notifications(ws)] == ["sent"] * 3
    no_secret_in(ws, TOKEN)
    ws.close()
    assert TOKEN not in again.stderr + again.stdout


def test_a_target_met_late_unseen_is_a_breach_and_a_suppressed_critical_alert_wakes_nobody(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock
) -> None:
    poller, bob = Commands(ws, playbooks, "poller"), Commands(ws, playbooks, "bob")
    (late,) = poller.ingest([make_alert(severity="high")]).alert_ids  # acknowledge within 30m: 12:30
    bob.add_suppression("host:scanner-09", "the nightly scan of the build farm", timedelta(days=3))
    (quiet,) = poller.ingest([make_alert(severity="critical", host="scanner-09")]).alert_ids
    fc.at(10, 1, 12, 45)
    bob.acknowledge(late)  # 15 minutes late, while no notifier ran
    notifier = Notifier([webhook(hook, events=["breach", "critical"])], Commands(ws, playbooks, "n"),
                        start_seq=0, now=lambda: datetime(2026, 10, 1, 12, 50, tzinfo=UTC))  # fmt: skip
    assert notifier.run_once().sent == 1
    (text,) = [p.body["text"] for p in hook.rec.delivered()]
    assert text.startswith(f"BREACH: alert {late} (high) missed its acknowledge target (due 2026-10-01T12:30")
    assert "acknowledged 15m late by bob" in text
    assert all(n["alert"] != quiet for n in notifications(ws))
    assert notifier.run_once().sent == 0


def test_the_pollers_notifier_thread_sends_and_stops_with_the_poller(
    tmp_path: Path, playbooks: PlaybookSet, hook: WebhookServer
) -> None:
    """What `triage poll --notify` runs beside the pollers: its own connection, the same stop."""
    import threading

    from triage.cli.context import Context
    from triage.cli.notify import notifier_thread

    db = tmp_path / "poll.db"
    ws = Workspace.create(db)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        f'[[notify]]\nname = "soc"\nkind = "webhook"\nurl = "{hook.url(TOKEN)}"\nevents = ["critical"]\n'
    )
    c = Context(db_option=str(db), analyst_option="poller", config_option=str(cfg))
    stop = threading.Event()
    thread = notifier_thread(c, stop, 0.1)  # starts at the log's head: the next alert is news
    deadline = time.monotonic() + 10
    while Commands(ws, playbooks, "n").notify_cursor("soc") is None and time.monotonic() < deadline:
        time.sleep(0.02)
    Commands(ws, playbooks, "poller").ingest([make_alert(severity="critical")])
    while not hook.rec.delivered() and time.monotonic() < deadline:
        time.sleep(0.02)
    stop.set()
    thread.join(timeout=10)
    c.close()
    assert not thread.is_alive()
    assert len(hook.rec.delivered()) == 1 and [n["outcome"] for n in notifications(ws)] == ["sent"]
    ws.close()


def test_the_months_evidence_counts_who_was_told(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock, tmp_path: Path
) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from triage.evidence import ExportRequest, export_pack, verify_pack
    from triage.store import anchor as anchoring

    poller = Commands(ws, playbooks, "poller")
    poller.ingest([make_alert(severity="critical"), make_alert(severity="critical")])
    only = ["critical"]
    Notifier([webhook(hook, events=only)], Commands(ws, playbooks, "n"), start_seq=0).run_once()
    hook.rec.always_fail = True
    fc.at(10, 2, 9)
    poller.ingest([make_alert(severity="critical")])
    Notifier([webhook(hook, max_attempts=1, events=only)], Commands(ws, playbooks, "n")).run_once()
    fc.at(11, 2)
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    pack = export_pack(ws, ExportRequest(month="2026-10", out=tmp_path / "p", key=key, actor="secops")).path
    metrics = json.loads((pack / "metrics.json").read_text())
    assert metrics["notifications"] == [{"target": "soc-channel", "kind": "critical", "sent": 2, "failed": 1}]
    assert "| soc-channel | critical | 2 | 1 |" in (pack / "report.md").read_text()
    assert verify_pack(pack, anchoring.public_raw(key.public_key())).ok
    no_secret_in(ws, TOKEN)
    for path in pack.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes()


def test_a_first_run_over_a_backlog_sends_no_flood_of_old_breaches(
    ws: Workspace, playbooks: PlaybookSet, hook: WebhookServer, fc: FakeClock
) -> None:
    """Targets that fell due before the notify target began are old news (the handover lists
    them); those that fall due afterwards are notified."""
    poller = Commands(ws, playbooks, "poller")
    old = poller.ingest([make_alert(severity="high") for _ in range(5)]).alert_ids  # due 12:30
    fc.at(10, 1, 13)
    notifier = Notifier([webhook(hook, events=["breach"])], Commands(ws, playbooks, "n"), now=fc)
    assert notifier.run_once().sent == 0
    (new,) = poller.ingest([make_alert(severity="high")]).alert_ids  # due 13:30
    fc.at(10, 1, 13, 31)
    assert notifier.run_once().sent == 1
    assert [n["alert"] for n in notifications(ws)] == [new] and new not in old


def test_a_webhook_url_http_cannot_read_fails_at_once_without_quoting_it(
    ws: Workspace, playbooks: PlaybookSet, fc: FakeClock
) -> None:
    target = NotifyTarget.model_validate(
        {"name": "typo", "kind": "webhook", "url": f"http://127.0.0.1:80{TOKEN}/x", "events": ["critical"]}
    )
    Commands(ws, playbooks, "poller").ingest([make_alert(severity="critical")])
    said: list[str] = []
    result = Notifier([target], Commands(ws, playbooks, "n"), start_seq=0, report=said.append).run_once()
    assert result.failed == 1
    (failed,) = notifications(ws)
    assert (failed["attempts"], failed["detail"]) == (1, "cannot be sent: InvalidURL")
    no_secret_in(ws, TOKEN)
    assert not any(TOKEN in line for line in said)
