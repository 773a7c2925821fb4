"""Sending one notification: a webhook (JSON POST with a Slack/Teams-compatible ``text``
field) or an email (SMTP with STARTTLS). Each attempt says whether it was delivered, and if
not whether trying again can help. A detail never holds a secret: no URL (a webhook's URL is
its token), no credentials.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import smtplib
import ssl
import urllib.error
import urllib.request
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate

from triage.app.notify.rules import Notice
from triage.config import NotifyTarget

# Headers on one line (RFC 5322 allows 998 characters): a subject is never folded mid-way.
_POLICY = policy.SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Attempt:
    ok: bool
    retry: bool  # not delivered, and worth trying again (5xx, 429, timeouts, connection refused)
    detail: str
    recipient: str | None = None


def idempotency_key(target: str, key: str) -> str:
    """The same for every attempt at one notification: receivers that deduplicate can."""
    return hashlib.sha256(f"{target}\x00{key}".encode()).hexdigest()[:32]


def slack_text(text: str) -> str:
    """Slack and Teams read ``<...>`` as links and mentions (``<!channel>``): alert text must not."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _scrub(detail: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            detail = detail.replace(secret, "[secret]")
    return detail[:300]


class Channel:
    """Where one notify target sends (secrets read once, when sending starts)."""

    def __init__(self, target: NotifyTarget) -> None:
        self.target = target

    def recipient(self, notice: Notice) -> str | None:
        """Who gets it; None when this target has nobody to tell about it."""
        return self.target.name

    def send(self, notice: Notice) -> Attempt:
        raise NotImplementedError


class Webhook(Channel):
    def __init__(self, target: NotifyTarget) -> None:
        super().__init__(target)
        self.url = target.webhook_url()
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"notify target {target.name}: the webhook URL must be http:// or https://")

    def recipient(self, notice: Notice) -> str | None:
        return None  # the channel behind the URL

    def send(self, notice: Notice) -> Attempt:
        body = json.dumps({"text": slack_text(notice.text)}).encode("utf-8")
        req = urllib.request.Request(  # noqa: S310 - the scheme is checked above
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "User-Agent": "triage-notify",
                "Idempotency-Key": idempotency_key(self.target.name, notice.key),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=self.target.timeout) as resp:  # noqa: S310
                status = resp.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            return Attempt(False, True, _scrub(f"not reached: {reason}", [self.url]))
        except (ValueError, http.client.HTTPException) as exc:  # a URL or an answer HTTP cannot read
            # its message can quote the URL, which is the secret: the kind of error only
            return Attempt(False, False, f"cannot be sent: {type(exc).__name__}")
        if 200 <= status < 300:
            return Attempt(True, False, f"HTTP {status}")
        retry = status >= 500 or status in (408, 429)
        return Attempt(False, retry, f"HTTP {status}")


class Email(Channel):
    def __init__(self, target: NotifyTarget) -> None:
        super().__init__(target)
        self.credentials = target.credentials()
        self.context = ssl.create_default_context(
            cafile=str(target.ca_certs) if target.ca_certs is not None else None
        )

    def recipient(self, notice: Notice) -> str | None:
        if notice.kind == "assigned":
            return self.target.analysts.get(notice.recipient_analyst or "")
        return ", ".join(self.target.to) or None

    def send(self, notice: Notice) -> Attempt:
        to = self.recipient(notice)
        assert to is not None and self.target.smtp_host and self.target.sender
        msg = EmailMessage(policy=_POLICY)
        msg["From"] = self.target.sender
        msg["To"] = to
        msg["Subject"] = "[triage] " + notice.subject[:180]
        msg["Date"] = formatdate(usegmt=True)
        msg["Message-ID"] = f"<{idempotency_key(self.target.name, notice.key)}@triage>"
        msg.set_content(notice.text + "\n")
        secrets = [self.credentials[1]] if self.credentials else []
        try:
            with smtplib.SMTP(self.target.smtp_host, self.target.smtp_port, timeout=self.target.timeout) as s:
                s.ehlo()
                if self.target.starttls:
                    s.starttls(context=self.context)
                    s.ehlo()
                if self.credentials is not None:
                    s.login(*self.credentials)
                refused = s.send_message(msg)
        except smtplib.SMTPNotSupportedError:
            return Attempt(False, False, "the SMTP server offers no STARTTLS (or AUTH)", to)
        except smtplib.SMTPAuthenticationError as exc:
            return Attempt(False, False, f"SMTP login refused ({exc.smtp_code})", to)
        except smtplib.SMTPRecipientsRefused:
            return Attempt(False, False, "SMTP refused every recipient", to)
        except smtplib.SMTPResponseException as exc:
            detail = _scrub(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", secrets)
            return Attempt(False, 400 <= exc.smtp_code < 500, detail, to)
        except ssl.SSLCertVerificationError as exc:
            return Attempt(False, False, _scrub(f"TLS certificate not trusted: {exc.verify_message}", []), to)
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return Attempt(False, True, _scrub(f"SMTP not reached: {type(exc).__name__}: {exc}", secrets), to)
        if refused:
            return Attempt(True, False, f"SMTP accepted, refused {len(refused)} recipients", to)
        return Attempt(True, False, "SMTP accepted", to)


def channel_for(target: NotifyTarget) -> Channel:
    return Webhook(target) if target.kind == "webhook" else Email(target)
