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
import hashlib
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from triage.evidence.pack import (
    MANIFEST,
    PUBLIC_KEY,
    SIGNATURE,
    SIGNOFF_ACTION,
    SIGNOFFS_JSONL,
    UNLISTED,
    FileEntry,
    Manifest,
    read_manifest,
    required_files,
    signoff_entry,
    signoff_target,
)
from triage.evidence.pack_reader import (
    MAX_PROBLEMS_PER_FILE,
    ZIP_DAMAGE,
    FileProblems,
    PackFiles,
    PackReport,
)
from triage.evidence.verify_log import check_log, read_record, rebuilt_line
from triage.evidence.verify_sections import check_sections
from triage.store.anchor import key_id, record_hash
from triage.store.chain import canonical, chain_hash

__all__ = ["MAX_PROBLEMS_PER_FILE", "PackReport", "verify_pack"]


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
        pack = PackFiles(path)
    except ValueError as exc:
        report.problems.append(str(exc))
        return report
    try:
        _verify(pack, trusted_key, report)
    finally:
        pack.close()
    return report


def _verify(pack: PackFiles, trusted: bytes | None, report: PackReport) -> None:
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
    _check_files(pack, manifest["files"], manifest["version"], report)
    wanted = {c["seq"] for c in manifest["checkpoints"] if isinstance(c.get("seq"), int)}
    hashes = check_log(pack, manifest, wanted, report)
    _check_checkpoints(manifest, signing_key, hashes, report)
    _check_signoffs(pack, manifest, report)
    check_sections(pack, report)


def _check_signature(
    pack: PackFiles, manifest: Manifest, data: bytes, trusted: bytes | None, report: PackReport
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


def _check_files(pack: PackFiles, files: list[FileEntry], version: int, report: PackReport) -> None:
    listed: set[str] = set()
    for entry in files:
        name = entry["path"]
        listed.add(name)
        if not pack.exists(name):
            report.problems.append(f"{name}: listed in the manifest but missing from the pack")
            continue
        h = hashlib.sha256()
        try:
            with pack.open(name) as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
        except ZIP_DAMAGE as exc:
            report.problems.append(f"{name}: cannot be read from the zip ({exc}): the file was changed")
            continue
        report.files_checked += 1
        if h.hexdigest() != entry["sha256"]:
            report.problems.append(f"{name}: SHA-256 differs from the manifest: the file was changed")
    for required in sorted(set(required_files(version)) - listed):
        report.problems.append(f"{required}: not listed in the manifest, and every pack has it")
    for extra in sorted(pack.names() - listed - UNLISTED):
        report.problems.append(f"{extra}: not listed in the manifest (added to the pack)")


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


def _check_signoffs(pack: PackFiles, manifest: Manifest, report: PackReport) -> None:
    """Each sign-off event is whole, is one of this month, is written as the pack format
    writes it, and the manifest's list of sign-offs is the one built from these events."""
    if not pack.exists(SIGNOFFS_JSONL):
        return
    problems = FileProblems(report, SIGNOFFS_JSONL)
    target = signoff_target(manifest["month"])
    entries = []
    for lineno, line in enumerate(pack.text_lines(SIGNOFFS_JSONL), 1):
        where = f"{SIGNOFFS_JSONL} line {lineno}"
        try:
            _rec, seq, body, prev, stored, d = read_record(line)
            ok = chain_hash(prev, body) == stored and d.get("seq") == seq
            entry = signoff_entry(seq, d)
        except (ValueError, KeyError, TypeError, UnicodeEncodeError):
            ok = False
        if not ok or d.get("action") != SIGNOFF_ACTION or d.get("target") != target:
            problems.add(f"{where}: not a valid sign-off event of {manifest['month']}")
            continue
        if line != rebuilt_line(seq, body, prev, stored, d):
            problems.add(f"{where}: differs from the record the pack format builds from its body")
        entries.append(entry)
    if entries != manifest["signoffs"]:
        problems.whole(f"{SIGNOFFS_JSONL} does not match the sign-offs listed in the manifest")
    problems.flush()
