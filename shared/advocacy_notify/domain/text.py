"""Display text made safe: one-line values, withheld home names and web addresses that cannot carry a script."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["clean_inline", "display_home_name", "is_unsafe_char", "safe_url"]

# Characters that could break a header or a line, or reorder text on screen
# (bidirectional overrides: "Trojan Source" style spoofing).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
_LINE_BREAKS = frozenset("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


def is_unsafe_char(ch: str) -> bool:
    """A control, line-break or bidirectional-override character."""
    return ch in _BIDI_CONTROLS or ch in _LINE_BREAKS or unicodedata.category(ch) in ("Cc", "Cs")


def clean_inline(value: str | None, *, max_len: int | None = None) -> str:
    """One line of display text: control, line-break and bidi characters become spaces,
    runs of whitespace collapse to one space, and the result is trimmed (with "…" when
    longer than `max_len`)."""
    if not value:
        return ""
    text = "".join(" " if is_unsafe_char(ch) else ch for ch in value)
    text = " ".join(text.split())
    if max_len is not None and len(text) > max_len:
        text = text[: max(max_len - 1, 0)].rstrip() + "…"
    return text


_REDACTED = frozenset({"", "redacted", "[redacted]", "(redacted)", "withheld", "n/a", "none", "null"})


def display_home_name(name: str | None, *, max_len: int = 200) -> str | None:
    """The home's name for display, or None when Ofsted withheld it (None, blank, REDACTED)."""
    cleaned = clean_inline(name, max_len=max_len)
    if cleaned.strip(" .*-").lower() in _REDACTED:
        return None
    return cleaned


_URL_SCHEME = re.compile(r"^https?://[^/\s?#@]+", re.IGNORECASE)


def safe_url(value: str, *, allow_relative: bool = True) -> str:
    """Accept only http(s) addresses (or, when allowed, a path on this site) with no
    whitespace or control characters; anything else (javascript:, data:, //host) raises."""
    if any(ch.isspace() or is_unsafe_char(ch) for ch in value) or len(value) > 2048:
        raise ValueError("link must be a single web address with no spaces or control characters")
    if allow_relative and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    if not _URL_SCHEME.match(value):
        raise ValueError("link must start with https:// or http://")
    return value
