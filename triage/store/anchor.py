"""Signed checkpoints that anchor the chain head outside the workspace.

A chain inside one file only shows edits by someone who does not rewrite the whole
file. ``anchor`` signs (sequence, head hash, time) with an Ed25519 key kept outside
the workspace and appends the checkpoint to a file that is shipped off the host.
Checkpoints chain to each other, so none can be dropped or reordered unseen.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from triage.clock import now_ts
from triage.errors import SigningError
from triage.store.backend import Conn
from triage.store.chain import GENESIS, canonical
from triage.store.verdict import Problem, VerifyReport

NO_PUBLIC_KEY = "no public key (give --public-key or public_key in the config)"


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def public_raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def generate_key(path: Path) -> Path:
    """Write a new private key (mode 0600) and its public key beside it (``.pub``)."""
    if path.exists():
        raise SigningError(f"{path} already exists; refusing to overwrite a signing key")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    pub = public_path(path)
    pub.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pub


def public_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def load_private_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SigningError(
            f"no signing key at {path}; create one with `triage keygen` (keep it off the workspace host "
            "or at least outside the workspace)"
        ) from None
    except OSError as exc:
        raise SigningError(f"cannot read signing key {path}: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"{path} is not a usable private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningError(f"{path} is not an Ed25519 private key")
    return key


def load_public_key(path: Path) -> bytes:
    """Raw public key bytes from a PEM public key, or from a private key file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SigningError(f"cannot read public key {path}: {exc.strerror}") from None
    try:
        pub = serialization.load_pem_public_key(data)
    except ValueError:
        try:
            priv = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise SigningError(f"{path} holds no Ed25519 key ({exc})") from None
        if not isinstance(priv, Ed25519PrivateKey):
            raise SigningError(f"{path} is not an Ed25519 key") from None
        pub = priv.public_key()
    if not isinstance(pub, Ed25519PublicKey):
        raise SigningError(f"{path} is not an Ed25519 public key")
    return public_raw(pub)


def record_hash(line: str) -> str:
    return hashlib.sha256(line.encode("ascii")).hexdigest()


def _signed_part(record: dict[str, Any]) -> str:
    return canonical({k: v for k, v in record.items() if k != "signature"})


def make_checkpoint(conn: Conn, workspace_id: str, key: Ed25519PrivateKey) -> dict[str, Any]:
    """Build the next checkpoint for the current head. Call inside a write transaction."""
    row = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    seq, head = row if row else (0, GENESIS)
    last = conn.execute("SELECT n, record FROM checkpoints ORDER BY n DESC LIMIT 1").fetchone()
    n, prev = (last[0] + 1, record_hash(last[1])) if last else (1, GENESIS)
    pub = public_raw(key.public_key())
    record: dict[str, Any] = {
        "v": 1,
        "workspace": workspace_id,
        "n": n,
        "seq": seq,
        "head": head,
        "time": now_ts(),
        "prev": prev,
        "key_id": key_id(pub),
        "public_key": base64.b64encode(pub).decode("ascii"),
    }
    record["signature"] = base64.b64encode(key.sign(_signed_part(record).encode("ascii"))).decode("ascii")
    return record


def anchor(conn: Conn, workspace_id: str, key: Ed25519PrivateKey, anchor_file: Path) -> dict[str, Any]:
    """Sign the head, append it to ``anchor_file`` and to the workspace, atomically enough:
    the file is written (and synced) before the workspace commits, so a crash leaves the
    external copy ahead, never behind."""
    record = make_checkpoint(conn, workspace_id, key)
    line = canonical(record)
    anchor_file.parent.mkdir(parents=True, exist_ok=True)
    with open(anchor_file, "a", encoding="ascii") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    conn.execute(
        "INSERT INTO checkpoints (n, seq, record) VALUES (?, ?, ?)", (record["n"], record["seq"], line)
    )
    return record


def _read_anchor_file(path: Path, report: VerifyReport) -> list[tuple[str, str]]:
    out = []
    try:
        with open(path, encoding="ascii", errors="replace") as fh:
            for i, line in enumerate(fh, 1):
                if line.strip():
                    out.append((line.strip(), f"{path.name}:{i}"))
    except FileNotFoundError:
        report.problems.append(Problem(None, f"anchor file {path} not found"))
    except OSError as exc:
        report.problems.append(Problem(None, f"anchor file {path}: {exc.strerror}"))
    return out


def verify_checkpoints(
    conn: Conn,
    workspace_id: str,
    report: VerifyReport,
    anchor_files: list[Path],
    trusted_key: bytes | None,
) -> None:
    """Check every checkpoint known to the workspace or the anchor files against the log."""
    lines: list[tuple[str, str]] = [
        (rec, f"workspace checkpoint {n}")
        for n, rec in conn.execute("SELECT n, record FROM checkpoints ORDER BY n")
    ]
    for path in anchor_files:
        lines.extend(_read_anchor_file(path, report))
    if not lines:
        report.notes.append(
            "no checkpoints: the chain is only self-consistent; run `triage anchor` "
            "to protect it against a rewrite of the whole file"
        )
        return
    trusted_id = key_id(trusted_key) if trusted_key else None
    groups: dict[int, dict[str, tuple[dict[str, Any], str]]] = {}
    for line, where in lines:
        try:
            rec = json.loads(line)
            n = int(rec["n"])
        except (ValueError, KeyError, TypeError):
            report.problems.append(Problem(None, f"{where}: unreadable checkpoint"))
            continue
        if not isinstance(rec, dict) or rec.get("workspace") != workspace_id:
            report.notes.append(f"{where}: checkpoint of another workspace, skipped")
            continue
        groups.setdefault(n, {}).setdefault(canonical(rec), (rec, where))
    max_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    for n in range(1, max(groups, default=0) + 1):
        report.checkpoints_total += 1
        group = groups.get(n)
        if not group:
            report.problems.append(Problem(None, f"checkpoint {n} is missing"))
            continue
        n_ok = True
        if len(group) > 1:
            n_ok = False
            wheres = " and ".join(where for _rec, where in group.values())
            report.problems.append(
                Problem(None, f"checkpoint {n} differs between {wheres} (one was forged or rolled back)")
            )
        prevs = {record_hash(line) for line in groups.get(n - 1, {})} if n > 1 else {GENESIS}
        for line, (rec, where) in group.items():
            ok = _check_one(conn, rec, line, where, n, prevs, trusted_key, trusted_id, max_seq, report)
            n_ok = n_ok and ok
        if n_ok and trusted_key is None:
            report.checkpoints_unchecked += 1  # agrees with the log, but its signature is unproven
        elif n_ok:
            report.checkpoints_valid += 1
    if trusted_key is None and report.checkpoints_total:
        report.unchecked_reason = NO_PUBLIC_KEY
        report.problems.append(
            Problem(
                None,
                f"the signatures of {report.checkpoints_total} checkpoint"
                f"{'s' if report.checkpoints_total != 1 else ''} could not be checked: {NO_PUBLIC_KEY}; "
                "the key recorded in the checkpoints cannot be trusted on its own",
            )
        )
    report.problems.sort(key=lambda p: (p.seq is None, p.seq or 0))


def _check_one(
    conn: Conn,
    rec: dict[str, Any],
    line: str,
    where: str,
    n: int,
    prevs: set[str],
    trusted_key: bytes | None,
    trusted_id: str | None,
    max_seq: int,
    report: VerifyReport,
) -> bool:
    ok = True
    try:
        seq, head = int(rec["seq"]), str(rec["head"])
        if prevs and rec.get("prev") not in prevs:
            ok = False
            report.problems.append(
                Problem(None, f"checkpoint {n} ({where}) does not chain to checkpoint {n - 1}")
            )
        if trusted_key is not None:
            if rec.get("key_id") != trusted_id:
                ok = False
                report.problems.append(
                    Problem(None, f"checkpoint {n} ({where}) was signed by another key ({rec.get('key_id')})")
                )
            else:
                try:
                    Ed25519PublicKey.from_public_bytes(trusted_key).verify(
                        base64.b64decode(rec["signature"]), _signed_part(rec).encode("ascii")
                    )
                except (InvalidSignature, ValueError, KeyError):
                    ok = False
                    report.problems.append(Problem(None, f"checkpoint {n} ({where}): bad signature"))
    except (KeyError, TypeError, ValueError):
        report.problems.append(Problem(None, f"checkpoint {n} ({where}): malformed"))
        return False
    if seq == 0:
        actual: str | None = GENESIS
    else:
        row = conn.execute("SELECT hash FROM events WHERE seq = ?", (seq,)).fetchone()
        actual = row[0] if row else None
    if actual is None:
        report.problems.append(
            Problem(
                seq,
                f"missing, but checkpoint {n} ({where}) signed it: the log was truncated "
                f"or rolled back (it ends at event {max_seq})",
            )
        )
        return False
    if actual != head:
        report.problems.append(
            Problem(
                seq,
                f"hash differs from checkpoint {n} ({where}): the log was rewritten after it was anchored",
            )
        )
        return False
    return ok
