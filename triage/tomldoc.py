"""Writing TOML text: a string as TOML, a file replaced in one rename, and one table of a file's
array of tables (``[[views]]``) edited in its text, every other byte left as it was. Tables
are found by lines: the caller checks the result parses to what it meant (a header or key
spelled in a way these lines do not read is refused there, never guessed)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

_HEADER = re.compile(r"^[ \t]*\[")  # any table header
_BLANK_OR_COMMENT = re.compile(r"^[ \t]*(#.*)?$")


def array_tables(text: str, name: str) -> list[tuple[int, int]]:
    """Each ``[[name]]`` table of ``text`` in file order, as the lines it spans (start, end:
    from its header to its last line that is neither blank nor a comment, which belong to what
    follows)."""
    own = re.compile(rf"^[ \t]*\[\[[ \t]*{re.escape(name)}[ \t]*\]\][ \t]*(#.*)?$")
    lines = text.splitlines(keepends=True)
    spans: list[tuple[int, int]] = []
    start: int | None = None
    last = 0
    for n, line in enumerate([*lines, "[end]"]):
        if _HEADER.match(line):
            if start is not None:
                spans.append((start, last + 1))
            start = n if own.match(line) else None
            last = n
        elif start is not None and not _BLANK_OR_COMMENT.match(line):
            last = n
    return spans


def without_table(text: str, span: tuple[int, int]) -> str:
    """``text`` without the table's lines (and the blank line before it, when there is one)."""
    lines = text.splitlines(keepends=True)
    start, end = span
    if start > 0 and not lines[start - 1].strip():
        start -= 1
    return "".join(lines[:start] + lines[end:])


def with_key(text: str, span: tuple[int, int], key: str, value: str) -> str | None:
    """``text`` with the table's ``key = ...`` line set to ``key = value`` (``value``: TOML);
    None when the table has no such line."""
    lines = text.splitlines(keepends=True)
    line = re.compile(rf"^([ \t]*){re.escape(key)}[ \t]*=")
    for n in range(*span):
        m = line.match(lines[n])
        if m:
            ending = lines[n][len(lines[n].rstrip("\r\n")) :]
            lines[n] = f"{m.group(1)}{key} = {value}{ending or chr(10)}"
            return "".join(lines)
    return None


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    out = ['"']
    for ch in text:
        n = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif n < 0x20 or n == 0x7F:
            out.append(_TOML_ESCAPES.get(ch, f"\\u{n:04x}"))
        elif 0xD800 <= n <= 0xDFFF:
            raise ValueError("a lone surrogate cannot be written to a TOML file")
        else:
            out.append(ch)
    return "".join(out) + '"'


_TOML_ESCAPES = {"\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def replace_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one rename (its mode kept); OSError if it cannot."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except OSError:
        Path(tmp).unlink(missing_ok=True)
        raise
