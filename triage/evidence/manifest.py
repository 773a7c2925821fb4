"""The evidence pack's manifest: the format's name and version, the manifest's keys with their
types, and reading one back checked (part of the format ``triage.evidence.pack`` defines, and
re-exported there). Standard library only: the verifier stands alone."""

from __future__ import annotations

import json
import typing
from typing import Any, TypedDict

FORMAT = "triage-evidence-pack"
# 2: log.csv shows each event's payload as a short summary and its SHA-256 instead of whole
# (version 1 carried every payload twice at full size: in log.jsonl and in log.csv).
VERSION = 2
READABLE_VERSIONS = (1, 2)  # what the verifier reads


class SignoffEntry(TypedDict):  # a sign-off, as the manifest lists it
    seq: int
    signed_by: str
    signed_at: str
    statement: str


# -- the manifest ------------------------------------------------------------------------


class PeriodEntry(TypedDict):
    start: str
    end: str


class LogEntry(TypedDict):
    file: str
    first_seq: int
    last_seq: int
    events: int
    prev_hash: str


class HeadEntry(TypedDict):
    seq: int
    hash: str


class ChainEntry(TypedDict):
    ok: bool
    summary: str
    problems: int


class FileEntry(TypedDict):
    path: str
    sha256: str
    bytes: int


class Manifest(TypedDict):
    """``manifest.json``: every key the exporter writes and the verifier reads."""

    format: str
    version: int
    workspace: str
    month: str
    timezone: str
    period: PeriodEntry
    generated_at: str
    generated_by: str
    log: LogEntry
    head_at_month_end: HeadEntry
    head_at_export: HeadEntry
    chain_verification: ChainEntry
    checkpoints: list[dict[str, Any]]
    signoffs: list[SignoffEntry]
    key_id: str
    public_key: str
    files: list[FileEntry]


def manifest_bytes(manifest: Manifest) -> bytes:
    """The manifest as written (and signed): indented JSON, sorted keys, ASCII."""
    return (json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode("ascii")


def _shape_problem(value: object, hint: Any, where: str) -> str | None:
    """Why ``value`` does not have the type ``hint`` (a TypedDict, list, dict, str, int,
    bool or Any), or None."""
    origin = typing.get_origin(hint)
    if hint is Any:
        return None
    if typing.is_typeddict(hint):
        if not isinstance(value, dict):
            return f"{where} is not an object"
        for key, sub in typing.get_type_hints(hint).items():
            if key not in value:
                return f"{where}{key} is missing"
            problem = _shape_problem(value[key], sub, f"{where}{key}.")
            if problem:
                return problem
        return None
    where = where.rstrip(".") or "the manifest"
    if origin is list:
        if not isinstance(value, list):
            return f"{where} is not a list"
        (item,) = typing.get_args(hint)
        for i, v in enumerate(value):
            problem = _shape_problem(v, item, f"{where}[{i}].")
            if problem:
                return problem
        return None
    if origin is dict:
        return None if isinstance(value, dict) else f"{where} is not an object"
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else f"{where} is not an integer"
    return None if isinstance(value, hint) else f"{where} is not a {hint.__name__}"


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def read_manifest(data: bytes) -> Manifest:
    """The manifest of a pack of this format and of a version the verifier reads, checked to
    have every key with its type; ValueError says what is wrong."""
    doc = json.loads(data, parse_constant=_not_json)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValueError("not a triage evidence pack manifest")
    version = doc.get("version")
    if isinstance(version, bool) or version not in READABLE_VERSIONS:
        versions = " and ".join(map(str, READABLE_VERSIONS))
        raise ValueError(f"pack format version {version!r} is not supported (this verifier reads {versions})")
    problem = _shape_problem(doc, Manifest, "")
    if problem:
        raise ValueError(problem)
    return typing.cast(Manifest, doc)
