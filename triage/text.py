"""Alert text is untrusted: make it safe to show literally in a terminal."""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, and C1 controls (which some terminals honour as ESC-prefixes).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(m: re.Match[str]) -> str:
    return f"\\x{ord(m.group(0)):02x}"


def printable(value: object, *, single_line: bool = False, limit: int | None = None) -> str:
    """Render any value as text with control characters shown as ``\\xNN`` escapes.

    Nothing in the result can move the cursor, change colours or talk to the
    terminal. With ``single_line`` newlines and tabs are escaped as well.
    """
    s = "" if value is None else str(value)
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)] + "…"
    s = _CONTROL.sub(_escape, s)
    if single_line:
        s = s.replace("\n", "\\n").replace("\t", "\\t")
    return s
