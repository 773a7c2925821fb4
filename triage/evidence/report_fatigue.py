"""The report's sections on keeping alert fatigue under control, shared by both formats: the
notifications sent, the suppression rules active in the month and the shift handovers recorded."""

from __future__ import annotations

from typing import Any

from triage.text import printable

Section = tuple[str, list[str], list[list[str]]]


def _text(value: object) -> str:
    return printable(value, single_line=True, limit=300)


def fatigue_sections(
    figures: dict[str, Any], suppressions: list[dict[str, Any]], handovers: list[dict[str, str]]
) -> list[Section]:
    out: list[Section] = []
    out.append(
        (
            "Notifications sent (notification.sent events in the log)",
            ["notify target", "about", "sent", "failed"],
            [
                [_text(n["target"]), n["kind"], str(n.get("sent", 0)), str(n.get("failed", 0))]
                for n in figures.get("notifications", [])
            ],
        )
    )
    out.append(
        (
            "Suppression rules active this month",
            ["rule", "owner", "reason", "query", "created", "expires", "ended", "alerts closed this month"],
            [
                [
                    str(r["id"]), _text(r["owner"]), _text(r["reason"]), _text(r["query"]), r["created_at"],
                    r["expires_at"], r["ended_at"] or "-", str(r["alerts_closed_in_month"]),
                ]
                for r in suppressions
            ],
        )
    )  # fmt: skip
    out.append(
        (
            "Shift handovers recorded",
            ["event", "recorded by", "recorded at", "shift", "opened", "closed", "still open", "breached",
             "SHA-256"],
            [
                [
                    h["seq"], _text(h["recorded_by"]), h["recorded_at"], f"{h['since']} to {h['until']}",
                    h["opened"], h["closed"], h["still_open"], h["breached"], h["sha256"],
                ]
                for h in handovers
            ],
        )
    )  # fmt: skip
    return out
