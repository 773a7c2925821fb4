"""One logged event as the store hands it out: its envelope, payload, stored body and hashes."""

from __future__ import annotations

import json
from typing import Any, NamedTuple


class Event(NamedTuple):
    """Immutable, and a tuple: made for every event appended or read, as cheaply as one."""

    seq: int
    ts: str
    actor: str
    action: str
    target: str
    exercise: str | None
    payload: dict[str, Any]
    body: str
    prev_hash: str
    hash: str

    @classmethod
    def from_row(cls, seq: int, body: str, prev_hash: str, hash_: str) -> Event:
        d = json.loads(body)
        return cls(
            seq=seq,
            ts=d["ts"],
            actor=d["actor"],
            action=d["action"],
            target=d["target"],
            exercise=d.get("exercise"),
            payload=d["payload"],
            body=body,
            prev_hash=prev_hash,
            hash=hash_,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "actor": self.actor,
            "action": self.action,
            "target": self.target,
            "exercise": self.exercise,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }
