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

from triage.evidence.pack import (
    LOG_COLUMNS,
    LOG_CSV,
    LOG_JSONL,
    MANIFEST,
    PUBLIC_KEY,
    REQUIRED_FILES,
    SIGNATURE,
    SIGNOFF_ACTION,
    SIGNOFFS_JSONL,
    UNLISTED,
    FileEntry,
    Manifest,
    csv_rows,
    log_line,
    log_row,
    read_manifest,
    signoff_entry,
    signoff_target,
)
from triage.store.anchor import key_id, record_hash
from triage.store.chain import canonical, chain_hash

MAX_PROBLEMS_PER_FILE = 50  # listed per file; the rest are counted


@dataclass
class PackReport:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files_checked: int = 0
    events_checked: int = 0
    checkpoints_checked: int = 0
    trusted_key: bool = False
    month: str = "?"
    # Per file, the problems found beyond the first MAX_PROBLEMS_PER_FILE: counted, and
    # said in one line of ``problems`` ("... and 1,234 more problems in log.csv").
    not_listed: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) - len(self.not_listed) + sum(self.not_listed.values())

    def summary(self) -> str:
        n = self.problem_count
        verdict = "VALID" if self.ok else f"INVALID ({n:,} problem{'s' if n != 1 else ''})"
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
            "problem_count": self.problem_count,
            "problems_not_listed": self.not_listed,
            "notes": self.notes,
            "files_checked": self.files_checked,
            "events_checked": self.events_checked,
            "checkpoints_checked": self.checkpoints_checked,
            "trusted_key": self.trusted_key,
            "summary": self.summary(),
        }


class _FileProblems:
    """The problems found in one file: problems of single lines or rows are listed up to
    MAX_PROBLEMS_PER_FILE and the rest counted; problems of the file as a whole always listed."""

    def __init__(self, report: PackReport, name: str) -> None:
        self.report, self.name = report, name
        self.listed: list[str] = []
        self.wholes: list[str] = []
        self.more = 0

    def add(self, problem: str) -> None:
        if len(self.listed) < MAX_PROBLEMS_PER_FILE:
            self.listed.append(problem)
        else:
            self.more += 1

    def whole(self, problem: str) -> None:
        self.wholes.append(problem)

    def flush(self) -> None:
        self.report.problems.extend(self.listed)
        if self.more:
            s = "s" if self.more != 1 else ""
            self.report.problems.append(f"... and {self.more:,} more problem{s} in {self.name}")
            self.report.not_listed[self.name] = self.report.not_listed.get(self.name, 0) + self.more
        self.report.problems.extend(self.wholes)
        self.listed, self.wholes, self.more = [], [], 0


class _Pack:
    """A pack directory or a zip of one, read by relative path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip: zipfile.ZipFile | None = None
        self.prefix = ""
        self._zip_names: set[str] = set()
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
        self._zip_names = {
            n[len(self.prefix) :]
            for n in self.zip.namelist()
            if n.startswith(self.prefix) and not n.endswith("/")
        }

    def names(self) -> set[str]:
        if self.zip is not None:
            return set(self._zip_names)
        return {p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file()}

    def open(self, name: str) -> IO[bytes]:
        if self.zip is not None:
            return self.zip.open(self.prefix + name)
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        with self.open(name) as fh:
            return fh.read()

    def exists(self, name: str) -> bool:
        return name in self._zip_names if self.zip is not None else (self.path / name).is_file()

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
        manifest = read_manifest(data)
    except ValueError as exc:
        problems.append(f"{MANIFEST} is unreadable: {exc}")
        return
    report.month = manifest["month"]

    signing_key = _check_signature(pack, manifest, data, trusted, report)
    _check_files(pack, manifest["files"], report)
    wanted = {c["seq"] for c in manifest["checkpoints"] if isinstance(c.get("seq"), int)}
    hashes = _check_log(pack, manifest, wanted, report)
    _check_checkpoints(manifest, signing_key, hashes, report)
    _check_signoffs(pack, manifest, report)


def _check_signature(
    pack: _Pack, manifest: Manifest, data: bytes, trusted: bytes | None, report: PackReport
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


def _check_files(pack: _Pack, files: list[FileEntry], report: PackReport) -> None:
    listed: set[str] = set()
    for entry in files:
        name = entry["path"]
        listed.add(name)
        if not pack.exists(name):
            report.problems.append(f"{name}: listed in the manifest but missing from the pack")
            continue
        h = hashlib.sha256()
        with pack.open(name) as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
        report.files_checked += 1
        if h.hexdigest() != entry["sha256"]:
            report.problems.append(f"{name}: SHA-256 differs from the manifest: the file was changed")
    for required in sorted(set(REQUIRED_FILES) - listed):
        report.problems.append(f"{required}: not listed in the manifest, and every pack has it")
    for extra in sorted(pack.names() - listed - UNLISTED):
        report.problems.append(f"{extra}: not listed in the manifest (added to the pack)")


def _record(line: str) -> tuple[dict[str, Any], int, str, str, str, dict[str, Any]]:
    """A log record (a line of log.jsonl or signoffs.jsonl): the record, its seq, body,
    prev_hash and hash, and the body decoded. ValueError when it is not one."""
    rec = json.loads(line)
    if not isinstance(rec, dict):
        raise ValueError("not an object")
    seq, body, prev, stored = rec["seq"], rec["body"], rec["prev_hash"], rec["hash"]
    if not (
        isinstance(seq, int) and isinstance(body, str) and isinstance(prev, str) and isinstance(stored, str)
    ):
        raise ValueError("a field of the wrong type")
    d = json.loads(body)
    if not isinstance(d, dict):
        raise ValueError("its body is not an object")
    return rec, seq, body, prev, stored, d


def _rebuilt_line(seq: int, body: str, prev: str, stored: str, d: dict[str, Any]) -> str | None:
    """The line the pack format writes for this event, or None when its body lacks a header field."""
    try:
        return log_line(seq, body, prev, stored, d) + "\n"
    except (KeyError, TypeError):
        return None


def _rebuilt_row(seq: int, body: str, prev: str, stored: str, d: dict[str, Any]) -> list[str] | None:
    try:
        return log_row(seq, body, d, prev, stored)
    except (ValueError, TypeError):  # a body whose payload cannot be encoded (NaN, ...)
        return None


def _check_log(pack: _Pack, manifest: Manifest, wanted: set[int], report: PackReport) -> dict[int, str]:
    """Recompute the excerpt's chain and rebuild log.jsonl's records and log.csv's rows from
    the stored bodies; returns the hashes at the ``wanted`` sequence numbers."""
    log, head = manifest["log"], manifest["head_at_month_end"]
    first_seq, last_seq, prev = log["first_seq"], log["last_seq"], log["prev_hash"]
    found: dict[int, str] = {}
    if first_seq - 1 in wanted:
        found[first_seq - 1] = prev
    jl, cf = _FileProblems(report, LOG_JSONL), _FileProblems(report, LOG_CSV)
    if log["file"] != LOG_JSONL:
        jl.whole(f"{MANIFEST} names the log excerpt {log['file']!r}; the excerpt of a pack is {LOG_JSONL}")
    if not pack.exists(LOG_JSONL):
        jl.flush()
        return found
    rows = _LogCsv(pack, cf)
    expected_seq = first_seq
    n = lineno = 0
    for lineno, line in enumerate(pack.text_lines(LOG_JSONL), 1):
        row = rows.next()
        where = f"{LOG_JSONL} line {lineno}"
        try:
            rec, seq, body, stored_prev, stored, d = _record(line)
        except (ValueError, KeyError, TypeError):
            jl.add(f"{where}: unreadable log record")
            continue
        where = f"{where} (event {seq})"
        n += 1
        if seq != expected_seq:
            jl.add(f"{where}: expected event {expected_seq}: events missing or reordered")
        if stored_prev != prev:
            jl.add(f"{where}: chain broken: prev_hash is not the hash of the event before it")
        try:
            actual = chain_hash(stored_prev, body)
        except UnicodeEncodeError:
            actual = ""
        if actual != stored:
            jl.add(f"{where}: hash does not match the stored body: the event was changed")
        if any(rec.get(k) != d.get(k) for k in ("seq", "ts", "actor", "action", "target")):
            jl.add(f"{where}: the record's fields disagree with its hashed body")
        elif line != _rebuilt_line(seq, body, stored_prev, stored, d):
            jl.add(f"{where}: differs from the record the pack format builds from its body")
        if row is not None and row != _rebuilt_row(seq, body, stored_prev, stored, d):
            cf.add(f"{LOG_CSV} row {rows.count + 1} (event {seq}): differs from {LOG_JSONL}")
        if seq in wanted:
            found[seq] = stored
        prev, expected_seq = stored, seq + 1
    report.events_checked = n
    if n != log["events"]:
        jl.whole(f"{LOG_JSONL}: {n} events, the manifest says {log['events']}")
    if n and expected_seq - 1 != last_seq:
        jl.whole(f"{LOG_JSONL}: ends at event {expected_seq - 1}, the manifest says {last_seq}")
    if head["seq"] != last_seq or head["hash"] != prev:
        jl.whole(
            f"{LOG_JSONL}: the excerpt ends at hash {prev[:16]},"
            " not at the month-end head recorded in the manifest"
            f" (event {head['seq']} {str(head['hash'])[:16]})"
        )
    rows.finish(lineno)
    jl.flush()
    cf.flush()
    return found


class _LogCsv:
    """log.csv read along with log.jsonl, one row per record, its header checked."""

    def __init__(self, pack: _Pack, problems: _FileProblems) -> None:
        self.problems = problems
        self.count = 0  # data rows read
        self.present = pack.exists(LOG_CSV)
        self.rows: Iterator[list[str]] = iter(())
        if not self.present:
            return
        self.rows = csv_rows(pack.text_lines(LOG_CSV))
        header = self._read()
        if header != LOG_COLUMNS:
            problems.whole(f"{LOG_CSV}: the header is not {','.join(LOG_COLUMNS)}")

    def _read(self) -> list[str] | None:
        try:
            return next(self.rows, None)
        except csv.Error as exc:
            self.problems.whole(f"{LOG_CSV}: unreadable after row {self.count + 1} ({exc})")
            self.rows = iter(())
            return None

    def next(self) -> list[str] | None:
        row = self._read()
        if row is not None:
            self.count += 1
        return row

    def finish(self, records: int) -> None:
        """After the last of ``records`` lines of log.jsonl."""
        if not self.present:
            return
        if self._read() is not None:
            self.problems.whole(f"{LOG_CSV}: has more rows than {LOG_JSONL}")
        elif self.count < records:
            self.problems.whole(f"{LOG_CSV}: {self.count} rows, {LOG_JSONL} has {records} records")


def _check_checkpoints(
    manifest: Manifest, key: bytes | None, hashes: dict[int, str], report: PackReport
) -> None:
    problems = report.problems
    records = manifest["checkpoints"]
    if not records:
        report.notes.append(
            "no signed checkpoint covers this month: the excerpt is anchored by the manifest signature only"
        )
        return
    first, last = manifest["log"]["first_seq"], manifest["log"]["last_seq"]
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
        if rec.get("workspace") != manifest["workspace"]:
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


def _check_signoffs(pack: _Pack, manifest: Manifest, report: PackReport) -> None:
    """Each sign-off event is whole, is one of this month, is written as the pack format
    writes it, and the manifest's list of sign-offs is the one built from these events."""
    if not pack.exists(SIGNOFFS_JSONL):
        return
    problems = _FileProblems(report, SIGNOFFS_JSONL)
    target = signoff_target(manifest["month"])
    entries = []
    for lineno, line in enumerate(pack.text_lines(SIGNOFFS_JSONL), 1):
        where = f"{SIGNOFFS_JSONL} line {lineno}"
        try:
            _rec, seq, body, prev, stored, d = _record(line)
            ok = chain_hash(prev, body) == stored and d.get("seq") == seq
            entry = signoff_entry(seq, d)
        except (ValueError, KeyError, TypeError, UnicodeEncodeError):
            ok = False
        if not ok or d.get("action") != SIGNOFF_ACTION or d.get("target") != target:
            problems.add(f"{where}: not a valid sign-off event of {manifest['month']}")
            continue
        if line != _rebuilt_line(seq, body, prev, stored, d):
            problems.add(f"{where}: differs from the record the pack format builds from its body")
        entries.append(entry)
    if entries != manifest["signoffs"]:
        problems.whole(f"{SIGNOFFS_JSONL} does not match the sign-offs listed in the manifest")
    problems.flush()
