"""Authority name text: normalisation, affix stripping and the bounded edit distance that resolution uses."""

from __future__ import annotations

import functools
import re
import unicodedata

from .package_data import read_rows

_QUOTES = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u02bc": "'",
        "\u2032": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2033": '"',
    }
)
_APOSTROPHES_RE = re.compile(r"['\"]")
_SEPARATORS_RE = re.compile(r"[/\\;|+,]")
_OTHER_RE = re.compile(r"[^a-z0-9/]+")
_TOKEN_MAP = {"upon": "on", "saint": "st"}
SEP = "/"


def name_tokens(text: str) -> tuple[str, ...]:
    """Lower-case word tokens; list separators (``/ ; | + ,``) become the token ``/``."""
    s = unicodedata.normalize("NFKD", text)
    # Drop combining marks (accents) and invisible format characters (zero-width spaces...).
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Mn", "Cf"))
    s = s.translate(_QUOTES).casefold()
    s = s.replace("&", " and ")
    s = _APOSTROPHES_RE.sub("", s)  # children's -> childrens
    s = _SEPARATORS_RE.sub(" / ", s)
    s = _OTHER_RE.sub(" ", s)  # hyphens, dots ("St."), brackets, line breaks...
    return tuple(_TOKEN_MAP.get(tok, tok) for tok in s.split())


def normalise_name(text: str) -> str:
    """The lookup key for a name: case-folded, punctuation-free words separated by one space.

    ``"Stockton-on-Tees"``, ``"STOCKTON ON TEES"`` and ``" Stockton  on\\nTees "`` all give
    ``"stockton on tees"``; ``"St. Helens"`` gives ``"st helens"``; ``"&"`` becomes ``"and"``
    and ``"upon"`` becomes ``"on"``.
    """
    return " ".join(tok for tok in name_tokens(text) if tok != SEP)


Phrase = tuple[str, ...]


@functools.cache
def _affixes() -> tuple[tuple[tuple[Phrase, ...], bool, bool], ...]:
    """(affixes, is a trust affix, at the start) from data/la_name_affixes.csv, in the order tried.

    Affixes never carry the identity of an authority; stripping a "trust" one marks a children's
    services trust or company acting for an LA. Longest first, so that the greedy core strips
    "county council" before "council".
    """
    groups: dict[tuple[str, str], list[Phrase]] = {}
    for row in read_rows("la_name_affixes.csv"):
        words = tuple(tok for tok in name_tokens(row["affix"]) if tok != SEP)
        groups.setdefault((row["position"], row["kind"]), []).append(words)
    return tuple(
        (tuple(sorted(groups.get((position, kind), []), key=len, reverse=True)), kind == "trust", position == "prefix")
        for position, kind in (("prefix", "plain"), ("prefix", "trust"), ("suffix", "plain"), ("suffix", "trust"))
    )


# Forms that must never be matched even though stripping can produce them ("City of London"
# is an authority; "London" is not one).
STOP_KEYS = frozenset({"london", "greater london"})

_MAX_STRIP_DEPTH = 8
# A stripped form never starts or ends with a connective ("London Borough Of X" -> "of x");
# it may end with "of" ("Bristol, City of Council" -> "bristol city of").
_DANGLING = frozenset({"of", "and", "the", "with"})
_DANGLING_END = frozenset({"and", "the", "with"})


def strip_levels(tokens: tuple[str, ...]) -> list[list[tuple[tuple[str, ...], bool]]]:
    """Every form reachable by stripping affixes, grouped by how many were stripped.

    Each form carries a flag: True when a children's-trust affix was stripped on the way.
    Level 0 is the input itself.
    """
    levels: list[list[tuple[tuple[str, ...], bool]]] = [[(tokens, False)]]
    seen: dict[tuple[str, ...], bool] = {tokens: False}
    by_end = _affixes()
    for _ in range(_MAX_STRIP_DEPTH):
        nxt: dict[tuple[str, ...], bool] = {}
        for toks, trust in levels[-1]:
            n = len(toks)
            for affixes, is_trust, at_start in by_end:
                for affix in affixes:
                    k = len(affix)
                    if k >= n:
                        continue
                    if at_start:
                        if toks[:k] != affix:
                            continue
                        new = toks[k:]
                    else:
                        if toks[n - k :] != affix:
                            continue
                        new = toks[: n - k]
                    flag = trust or is_trust
                    if new in seen or new[0] in _DANGLING or new[-1] in _DANGLING_END:
                        continue
                    nxt[new] = nxt.get(new, False) or flag
        if not nxt:
            break
        seen.update(nxt)
        levels.append(list(nxt.items()))
    return levels


def greedy_core(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Strip every affix, longest first, from both ends (the key the fuzzy step compares)."""
    toks = tokens
    by_end = _affixes()
    changed = True
    while changed:
        changed = False
        for affixes, _is_trust, at_start in by_end:
            for affix in affixes:
                k = len(affix)
                if k < len(toks) and (toks[:k] == affix if at_start else toks[len(toks) - k :] == affix):
                    toks = toks[k:] if at_start else toks[: len(toks) - k]
                    changed = True
                    break
    return toks


def bounded_levenshtein(a: str, b: str, limit: int) -> int:
    """Levenshtein distance, or ``limit + 1`` as soon as it must exceed ``limit``."""
    if a == b:
        return 0
    la, lb = len(a), len(b)
    if abs(la - lb) > limit:
        return limit + 1
    if la > lb:
        a, b, la, lb = b, a, lb, la
    prev = list(range(lb + 1))
    for i in range(1, la + 1):
        ca = a[i - 1]
        cur = [i] + [0] * lb
        row_min = i
        for j in range(1, lb + 1):
            v = prev[j - 1] + (ca != b[j - 1])
            if prev[j] + 1 < v:
                v = prev[j] + 1
            if cur[j - 1] + 1 < v:
                v = cur[j - 1] + 1
            cur[j] = v
            if v < row_min:
                row_min = v
        if row_min > limit:
            return limit + 1
        prev = cur
    return prev[lb] if prev[lb] <= limit else limit + 1
