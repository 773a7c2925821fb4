"""Check an evidence pack the way an auditor would, trusting nothing inside it blindly.

Every file is re-hashed against the manifest, the manifest's Ed25519 signature is checked
(against the auditor's own copy of the public key when given: a key inside the pack only
shows the pack is self-consistent), the log excerpt's hash chain is recomputed from the
stored bytes, and its ends are matched against the month-end head and the signed
checkpoints. Files are streamed; memory does not grow with the month.
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from triage.evidence.export import LOG_COLUMNS, MANIFEST, PACK_FORMAT, PUBLIC_KEY, SIGNATURE, cell
from triage.store.anchor import key_id, record_hash
from triage.store.chain import canonical, chain_hash

MAX_PROBLEMS_PER_FILE = 50


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    events_checked: int = 0
    checkpoints_checked: int = 0
    trusted_key: bool = False
    month: str = "?"

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        verdict = "VALID" if self.ok else f"INVALID ({len(self.problems)} problems)"
        trust = "your trusted key" if self.trusted_key else "the key inside the pack only"
        return (
            f"{verdict}: evidence pack {self.month}; {self.files_checked} files re-hashed, "
            f"{self.events_checked} log events rechained, {self.checkpoints_checked} checkpoints checked, "
            f"signatures checked against {trust}"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "month": self.month,
            "problems": self.problems,
            "notes": self.notes,
            "files_checked": self.files_checked,
            "events_checked": self.events_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "trusted_key": self.trusted_key,
            "summary": self.summary(),
        }


class _Pack:
    """A pack directory or a zip of one, read by relative path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        if path.is_dir():
            return
        try:
            self.zip = zipfile.ZipFile(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise ValueError(f"{path} is neither a pack directory nor a zip file ({exc})") from None
        roots = [
            n[: -len(MANIFEST)] for n in self.zip.namelist() if n == MANIFEST or n.endswith("/" + MANIFEST)
        ]
        roots.sort(key=len)
        self.prefix = roots[0] if roots else ""

    def names(self) -> set[str]:
        if self.zip is not None:
            return {
                n[len(self.prefix) :]
                for n in self.zip.namelist()
                if n.startswith(self.prefix) and not n.endswith("/")
            }
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(self.prefix + name)
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def exists(self, name: str) -> bool:
        return name in self.names() if self.zip is not None else (self.path / name).is_file()

    def text_lines(self, name: str) -> Iterator[str]:
        with self.open(name) as fh:
            yield from io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")

    def close(self) -> None:
        if self.zip is not None:
            self.zip.close()


def _load_pem(data: bytes) -> bytes | None:
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError:
        return None
    if not isinstance(key, Ed25519PublicKey):
        return None
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _signature_ok(public: bytes, signature: bytes, data: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_pack(path: Path, trusted_key: bytes | None = None) -> PackReport:
    report = PackReport(trusted_key=trusted_key is not None)
    try:
        pack = _Pack(path)
    except ValueError as exc:
        report.problems.append(str(exc))
        return report
    try:
        _verify(pack, trusted_key, report)
    finally:
        pack.close()
    return report


def _verify(pack: _Pack, trusted: bytes | None, report: PackReport) -> None:
    problems = report.problems
    if not pack.exists(MANIFEST):
        problems.append(f"{MANIFEST} is missing: this is not an evidence pack")
        return
    data = pack.read(MANIFEST)
    try:
        manifest = json.loads(data)
        if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT:
            raise ValueError("not a triage evidence pack manifest")
        files = manifest["files"]
        report.month = str(manifest["month"])
    except (ValueError, KeyError, TypeError) as exc:
        problems.append(f"{MANIFEST} is unreadable: {exc}")
        return

    signing_key = _check_signature(pack, manifest, data, trusted, report)
    _check_files(pack, files, report)
    hashes = _check_log(
        pack, manifest, {int(c.get("seq", -1)) for c in manifest.get("checkpoints", [])}, report
    )
    _check_checkpoints(manifest, signing_key, hashes, report)
    _check_signoffs(pack, manifest, report)


def _check_signature(
    pack: _Pack, manifest: dict[str, Any], data: bytes, trusted: bytes | None, report: PackReport
) -> bytes | None:
    """Check manifest.sig; returns the key the checkpoints must be signed with too."""
    problems = report.problems
    pack_key = _load_pem(pack.read(PUBLIC_KEY)) if pack.exists(PUBLIC_KEY) else None
    if pack_key is None:
        problems.append(f"{PUBLIC_KEY} is missing or not an Ed25519 public key")
    elif manifest.get("public_key") != base64.b64encode(pack_key).decode("ascii"):
        problems.append(f"{PUBLIC_KEY} is not the key named in {MANIFEST}")
    try:
        signature = base64.b64decode(pack.read(SIGNATURE).strip(), validate=True)
    except (KeyError, FileNotFoundError):
        problems.append(f"{SIGNATURE} is missing: the manifest is not signed")
        return trusted or pack_key
    except (binascii.Error, ValueError):
        problems.append(f"{SIGNATURE} is not a base64 signature")
        return trusted or pack_key
    if trusted is not None:
        if pack_key is not None and key_id(pack_key) != key_id(trusted):
            problems.append(
                f"the pack is signed with key {key_id(pack_key)}, not with your trusted key"
                f" {key_id(trusted)}: it was re-signed by someone else"
            )
        elif not _signature_ok(trusted, signature, data):
            problems.append(
                f"manifest signature is not valid for your trusted key {key_id(trusted)}:"
                f" {MANIFEST} or {SIGNATURE} was changed"
            )
        else:
            report.notes.append(f"manifest signature valid for your trusted key {key_id(trusted)}")
        return trusted
    if pack_key is not None:
        if _signature_ok(pack_key, signature, data):
            report.notes.append(
                f"manifest signature valid for the key inside the pack ({key_id(pack_key)}); that only shows"
                " the pack is self-consistent. Give --public-key with the key you obtained from us"
                " separately: that is the check that matters"
            )
        else:
            problems.append(
                f"manifest signature does not match {MANIFEST} ({key_id(pack_key)}):"
                f" {MANIFEST} or {SIGNATURE} was changed"
            )
    return pack_key


def _check_files(pack: _Pack, files: list[dict[str, Any]], report: PackReport) -> None:
    listed: set[str] = set()
    for entry in files:
        name = str(entry.get("path", ""))
        listed.add(name)
        if not pack.exists(name):
            report.problems.append(f"{name}: listed in the manifest but missing from the pack")
            continue
        h = hashlib.sha256()
        with pack.open(name) as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        report.files_checked += 1
        if h.hexdigest() != entry.get("sha256"):
            report.problems.append(f"{name}: SHA-256 differs from the manifest: the file was changed")
    for extra in sorted(pack.names() - listed - {MANIFEST, SIGNATURE}):
        report.problems.append(f"{extra}: not listed in the manifest (added to the pack)")


def _check_log(pack: _Pack, manifest: dict[str, Any], wanted: set[int], report: PackReport) -> dict[int, str]:
    """Recompute the excerpt's chain; returns the hashes at the ``wanted`` sequence numbers."""
    problems = report.problems
    log = manifest.get("log", {})
    head = manifest.get("head_at_month_end", {})
    name = str(log.get("file", "log.jsonl"))
    first_seq, last_seq = int(log.get("first_seq", 1)), int(log.get("last_seq", 0))
    prev = str(log.get("prev_hash", ""))
    found: dict[int, str] = {}
    if first_seq - 1 in wanted:
        found[first_seq - 1] = prev
    if not pack.exists(name):
        return found
    expected_seq = first_seq
    n = 0
    local: list[str] = []

    def fail(msg: str) -> None:
        if len(local) < MAX_PROBLEMS_PER_FILE:
            local.append(msg)

    csv_rows = _csv_rows(pack)
    for lineno, line in enumerate(pack.text_lines(name), 1):
        where = f"{name} line {lineno}"
        try:
            rec = json.loads(line)
            seq, body, stored_prev, stored = int(rec["seq"]), rec["body"], rec["prev_hash"], rec["hash"]
            d = json.loads(body)
        except (ValueError, KeyError, TypeError):
            fail(f"{where}: unreadable log record")
            continue
        where = f"{where} (event {seq})"
        n += 1
        if seq != expected_seq:
            fail(f"{where}: expected event {expected_seq}: events missing or reordered")
        if stored_prev != prev:
            fail(f"{where}: chain broken: prev_hash is not the hash of the event before it")
        try:
            actual = chain_hash(stored_prev, body)
        except (UnicodeEncodeError, TypeError):
            actual = ""
        if actual != stored:
            fail(f"{where}: hash does not match the stored body: the event was changed")
        if not isinstance(d, dict) or any(
            rec.get(k) != d.get(k) for k in ("seq", "ts", "actor", "action", "target")
        ):
            fail(f"{where}: the record's fields disagree with its hashed body")
        row = next(csv_rows, None)
        if row is not None and row != _csv_expected(seq, d, stored_prev, stored):
            fail(f"log.csv row {lineno + 1} (event {seq}): differs from log.jsonl")
        if seq in wanted:
            found[seq] = stored
        prev, expected_seq = stored, seq + 1
    report.events_checked = n
    if n != int(log.get("events", n)):
        fail(f"{name}: {n} events, the manifest says {log.get('events')}")
    if n and expected_seq - 1 != last_seq:
        fail(f"{name}: ends at event {expected_seq - 1}, the manifest says {last_seq}")
    if head.get("seq") != last_seq or head.get("hash") != prev:
        fail(
            f"{name}: the excerpt ends at hash {prev[:16]},"
            " not at the month-end head recorded in the manifest"
            f" (event {head.get('seq')} {str(head.get('hash'))[:16]})"
        )
    if next(csv_rows, None) is not None:
        fail("log.csv: has more rows than log.jsonl")
    problems.extend(local)
    return found


def _csv_rows(pack: _Pack) -> Iterator[list[str]]:
    if not pack.exists("log.csv"):
        return iter(())
    reader = csv.reader(pack.text_lines("log.csv"))
    next(reader, None)  # header
    return reader


def _csv_expected(seq: int, d: dict[str, Any], prev: str, hash_: str) -> list[str]:
    values = [seq, d.get("ts"), d.get("actor"), d.get("action"), d.get("target"), d.get("exercise")]
    payload = canonical(d.get("payload"))
    expected = [cell(v) for v in values] + [cell(payload), prev, hash_]
    assert len(expected) == len(LOG_COLUMNS)
    return expected


def _check_checkpoints(
    manifest: dict[str, Any], key: bytes | None, hashes: dict[int, str], report: PackReport
) -> None:
    problems = report.problems
    records = manifest.get("checkpoints", [])
    if not records:
        report.notes.append(
            "no signed checkpoint covers this month: the excerpt is anchored by the manifest signature only"
        )
        return
    log = manifest.get("log", {})
    first, last = int(log.get("first_seq", 1)), int(log.get("last_seq", 0))
    prev_rec: dict[str, Any] | None = None
    for rec in records:
        report.checkpoints_checked += 1
        try:
            n, seq, head = int(rec["n"]), int(rec["seq"]), str(rec["head"])
            signed = canonical({k: v for k, v in rec.items() if k != "signature"}).encode("ascii")
            sig = base64.b64decode(rec["signature"])
        except (KeyError, TypeError, ValueError):
            problems.append("a checkpoint in the manifest is malformed")
            continue
        what = f"checkpoint {n} (event {seq})"
        if rec.get("workspace") != manifest.get("workspace"):
            problems.append(f"{what}: belongs to another workspace")
        if key is not None:
            if rec.get("key_id") != key_id(key):
                problems.append(
                    f"{what}: signed by key {rec.get('key_id')}, not by the key that signed the pack"
                )
            elif not _signature_ok(key, sig, signed):
                problems.append(f"{what}: bad signature")
        chained = prev_rec is not None and int(prev_rec.get("n", -1)) == n - 1
        if chained and rec.get("prev") != record_hash(canonical(prev_rec)):
            problems.append(f"{what}: does not chain to checkpoint {n - 1}")
        prev_rec = rec
        if first - 1 <= seq <= last:
            if seq not in hashes:
                problems.append(f"{what}: event {seq} is not in the log excerpt")
            elif hashes[seq] != head:
                problems.append(f"{what}: the log excerpt's hash at event {seq} differs from the signed head")
        elif seq > last:
            report.notes.append(
                f"{what} is after the month; its signature is checked, its head is not in this pack"
            )


def _check_signoffs(pack: _Pack, manifest: dict[str, Any], report: PackReport) -> None:
    if not pack.exists("signoffs.jsonl"):
        return
    seqs = []
    for lineno, line in enumerate(pack.text_lines("signoffs.jsonl"), 1):
        try:
            rec = json.loads(line)
            body, d = rec["body"], json.loads(rec["body"])
            ok = chain_hash(rec["prev_hash"], body) == rec["hash"]
        except (ValueError, KeyError, TypeError, UnicodeEncodeError):
            ok, d = False, {}
        if not ok or d.get("action") != "evidence.signed" or d.get("target") != f"evidence:{report.month}":
            report.problems.append(
                f"signoffs.jsonl line {lineno}: not a valid sign-off event of {report.month}"
            )
            continue
        seqs.append(d["seq"])
    if seqs != [s.get("seq") for s in manifest.get("signoffs", [])]:
        report.problems.append("signoffs.jsonl does not match the sign-offs listed in the manifest")
