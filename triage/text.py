"""Alert text is untrusted: make it safe to show literally to a reader.

One definition of the characters that must never reach a reader as they are, used by every
output that people read (the CLI, the terminal app, the evidence pack's CSVs, the HTML and
Markdown reports). Such a character is shown as an escape instead, the way Python writes it:
``\\x1b`` below U+0100, ``\\u202e`` in the rest of the Basic Multilingual Plane, ``\\U000e0001``
beyond it. Everything else, including emoji, CJK and right-to-left letters (Arabic, Hebrew),
is left as it is. JSON outputs do not use this: they keep every value exactly.
"""

from __future__ import annotations

import re

# (first, last) code points of what must not reach a reader as it is. It holds every
# character of Unicode categories Cc (controls), Cf (invisible format characters: bidi
# embeddings, overrides, isolates and marks, zero-width characters, BOM, tags...), Zl, Zp
# (line and paragraph separators) and Cs (surrogates: a lone one in a str cannot even be
# encoded for output), plus a few other characters that show nothing (tests check the table
# against the running Python's Unicode database). TAB and LF are not in it: multi-line
# output keeps them and single-line output escapes them too (see ``printable``).
HIDDEN_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x0008),  # C0 controls but TAB and LF
    (0x000B, 0x001F),  # (CR included: it would move the cursor back)
    (0x007F, 0x009F),  # DEL, C1 controls (some terminals take U+009B as CSI)
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner (Mn, but shows nothing)
    (0x0600, 0x0605),  # Arabic number signs (prefixed format characters)
    (0x061C, 0x061C),  # Arabic letter mark (a bidi mark)
    (0x06DD, 0x06DD),  # Arabic end of ayah
    (0x070F, 0x070F),  # Syriac abbreviation mark
    (0x0890, 0x0891),  # Arabic pound and piastre marks above
    (0x08E2, 0x08E2),  # Arabic disputed end of ayah
    (0x115F, 0x1160),  # Hangul choseong and jungseong fillers (Lo, but blank)
    (0x17B4, 0x17B5),  # Khmer inherent vowels (Mn, but show nothing)
    (0x180E, 0x180E),  # Mongolian vowel separator
    (0x200B, 0x200F),  # zero width space, non-joiner, joiner; LRM, RLM
    (0x2028, 0x202E),  # line and paragraph separators; bidi embeddings and overrides (LRE..RLO)
    (0x2060, 0x206F),  # word joiner, invisible operators, bidi isolates (LRI..PDI), deprecated format
    (0x3164, 0x3164),  # Hangul filler (Lo, but blank)
    (0xD800, 0xDFFF),  # surrogates: alone in a str they cannot be encoded
    (0xFEFF, 0xFEFF),  # zero width no-break space (BOM)
    (0xFFA0, 0xFFA0),  # halfwidth Hangul filler (Lo, but blank)
    (0xFFF0, 0xFFFB),  # reserved invisible code points; interlinear annotation controls
    (0x110BD, 0x110BD),  # Kaithi number sign
    (0x110CD, 0x110CD),  # Kaithi number sign above
    (0x13430, 0x1343F),  # Egyptian hieroglyph format controls
    (0x1BCA0, 0x1BCA3),  # shorthand format controls
    (0x1D173, 0x1D17A),  # musical symbol format controls
    (0xE0000, 0xE007F),  # tags (invisible ASCII copies: text smuggled past a reader)
)


def escape_char(ch: str) -> str:
    """``\\x1b``, ``\\u202e``, ``\\U000e0001``: how one hidden character is shown."""
    n = ord(ch)
    if n < 0x100:
        return f"\\x{n:02x}"
    if n < 0x10000:
        return f"\\u{n:04x}"
    return f"\\U{n:08x}"


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    # A regular expression reads the escapes the way Python writes them.
    def one(cp: int) -> str:
        return escape_char(chr(cp))

    return "".join(one(a) if a == b else f"{one(a)}-{one(b)}" for a, b in ranges)


HIDDEN = re.compile(f"[{_char_class(HIDDEN_RANGES)}]")
# The same, for text that is all ASCII (most of it): a small class is matched faster.
_HIDDEN_ASCII = re.compile(f"[{_char_class(tuple((a, min(b, 0x7F)) for a, b in HIDDEN_RANGES if a < 0x80))}]")


def _escape(m: re.Match[str]) -> str:
    return escape_char(m.group(0))


def printable(value: object, *, single_line: bool = False, limit: int | None = None) -> str:
    """Render any value as text with every hidden character (``HIDDEN_RANGES``) escaped.

    Nothing in the result can move the cursor, change colours, talk to the terminal,
    reorder the text around it (bidi overrides) or hide in it (zero-width characters), and
    it can always be encoded as UTF-8. TAB and LF are kept, except with ``single_line``,
    which shows them as ``\\t`` and ``\\n``. ``limit`` cuts the text (before escaping).
    """
    s = "" if value is None else str(value)
    if s.isascii() and s.isprintable() and (limit is None or len(s) <= limit):
        return s  # nothing to escape or cut (most text): no regular expression run
    if limit is not None and len(s) > limit:
        s = s[: max(limit - 1, 0)] + "…"
    s = (_HIDDEN_ASCII if s.isascii() else HIDDEN).sub(_escape, s)
    if single_line:
        s = s.replace("\n", "\\n").replace("\t", "\\t")
    return s
