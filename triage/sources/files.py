"""Recorded alerts from files: NDJSON, a JSON array, or a search response / hits export."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from triage.errors import InputError
from triage.sources.base import RawRecord, unwrap_hit
from triage.sources.jsontext import NotJSON, decode

MAX_LINE_BYTES = 64 * 1024 * 1024


def _decode(data: bytes) -> tuple[str, str | None]:
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return data.decode("utf-8", errors="replace"), f"not valid UTF-8 ({exc.reason} at byte {exc.start})"


def _json_error(exc: json.JSONDecodeError) -> str:
    if isinstance(exc, NotJSON):
        return f"malformed JSON: {exc.msg}"
    return f"malformed JSON: {exc.msg} at column {exc.colno}"


def _other_error(exc: ValueError | RecursionError) -> str:
    """Valid JSON that Python cannot hold: nesting past the recursion limit, an integer of
    more digits than ``int`` converts."""
    if isinstance(exc, RecursionError):
        return "unreadable JSON: nested too deeply"
    return f"unreadable JSON: {str(exc).split(';')[0]}"


class FileSource:
    """Reads one file (or ``-`` for standard input) and yields its records."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.name = "stdin" if path == "-" else Path(path).name

    def _open(self) -> IO[bytes]:
        if self.path == "-":
            return sys.stdin.buffer
        try:
            return open(self.path, "rb")
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc.strerror or exc})") from None

    def records(self) -> Iterator[RawRecord]:
        fh = self._open()
        try:
            first = _peek_first_char(fh)
            if first == b"[":
                yield from self._whole(fh.read())
            else:
                yield from self._lines(fh)
        finally:
            if fh is not sys.stdin.buffer:
                fh.close()

    def _whole(self, data: bytes) -> Iterator[RawRecord]:
        text, err = _decode(data)
        plain = False
        if err is None:
            try:
                obj, plain = decode(text)
            except json.JSONDecodeError as exc:
                err = f"{_json_error(exc)} (line {exc.lineno}); the file is kept whole in quarantine"
            except (ValueError, RecursionError) as exc:
                err = f"{_other_error(exc)}; the file is kept whole in quarantine"
        if err is not None:
            yield RawRecord(self.name, "whole file", None, text, error=err)
            return
        yield from self._objects(obj, "whole file", plain)

    def _objects(self, obj: Any, where: str, plain: bool) -> Iterator[RawRecord]:
        if isinstance(obj, list):
            for i, item in enumerate(obj, 1):
                yield unwrap_hit(self.name, f"item {i}", item, plain=plain)
        elif (
            isinstance(obj, dict)
            and isinstance(obj.get("hits"), dict)
            and isinstance(obj["hits"].get("hits"), list)
        ):
            for i, hit in enumerate(obj["hits"]["hits"], 1):
                yield unwrap_hit(self.name, f"hit {i}", hit, plain=plain)
        else:
            yield unwrap_hit(self.name, where, obj, plain=plain)

    def _lines(self, fh: IO[bytes]) -> Iterator[RawRecord]:
        for lineno, line in enumerate(_bounded_lines(fh), 1):
            if line is None:
                yield RawRecord(
                    self.name,
                    f"line {lineno}",
                    None,
                    None,
                    error=f"line longer than {MAX_LINE_BYTES:,} bytes, not read (split or trim it)",
                )
                continue
            if not line.strip():
                continue
            text, err = _decode(line.rstrip(b"\r\n"))
            plain = False
            if err is None:
                try:
                    obj, plain = decode(text)
                except json.JSONDecodeError as exc:
                    err = _json_error(exc)
                except (ValueError, RecursionError) as exc:
                    err = _other_error(exc)
            if err is not None:
                if lineno == 1 and text.strip() == "{":
                    # A pretty-printed document or search response, not NDJSON.
                    rest = line + fh.read()
                    yield from self._whole(rest)
                    return
                yield RawRecord(self.name, f"line {lineno}", None, text, error=err)
                continue
            if isinstance(obj, dict) and isinstance(obj.get("hits"), dict):
                yield from self._objects(obj, f"line {lineno}", plain)
            else:
                yield unwrap_hit(self.name, f"line {lineno}", obj, text.strip(), plain=plain)


def _bounded_lines(fh: IO[bytes]) -> Iterator[bytes | None]:
    """The file's lines; ``None`` for one longer than MAX_LINE_BYTES, which is skipped
    without ever holding more than MAX_LINE_BYTES of it in memory."""
    while True:
        line = fh.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) <= MAX_LINE_BYTES or line.endswith(b"\n"):
            yield line
            continue
        while line and not line.endswith(b"\n"):
            line = fh.readline(MAX_LINE_BYTES)
        yield None


def _peek_first_char(fh: IO[bytes]) -> bytes:
    """The first non-blank byte, without consuming the stream when it is seekable."""
    if fh.seekable():
        pos = fh.tell()
        while True:
            chunk = fh.read(4096)
            if not chunk:
                fh.seek(pos)
                return b""
            stripped = chunk.lstrip()
            if stripped:
                fh.seek(pos)
                return stripped[:1]
    # stdin: buffer it
    peek = getattr(fh, "peek", None)
    if peek is not None:
        data: bytes = peek(4096)
        return data.lstrip()[:1]
    return b""
