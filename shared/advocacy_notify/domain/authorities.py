"""The 153 English local authorities with children's services duties, and name resolution.

Placing authority names arrive as free text. `AuthorityDirectory.resolve` turns one into an
`AuthorityMatch`. A wrong match emails the wrong council about a child, which is worse than no
match, so every step below prefers "ambiguous" or "unknown" to a guess:

1. Codes: a GSS code (``E06000058``, any case) or a 3-digit DfE code. Codes of abolished
   authorities map to their successor when there is exactly one; split ones are ambiguous.
2. Exact canonical names and known variants (``la_name_variants.csv``), after normalisation
   (``authority_names.normalise_name``).
3. Explicit aliases, predecessors and children's services trusts (``la_aliases.csv``,
   ``la_predecessors.csv``, ``la_trusts.csv``; old codes in ``la_old_codes.csv``).
4. Affix stripping ("London Borough of", "City Council", "MBC", "UA", "Limited", ...; the
   affixes are in ``la_name_affixes.csv``): every form reachable by stripping is looked up; the
   least-stripped forms that match win, and if they disagree the result is ambiguous.
5. Combined names ("Kingston upon Thames / Richmond upon Thames", "Kent and Surrey") are
   ambiguous with every authority they name; exact names that contain "and" are tried first.
6. A conservative fuzzy step for typos only (see `_fuzzy`).

Welsh councils (``welsh_councils.csv``) and blank input are unknown. The tables are files under
``advocacy_notify/data`` (sources in ``SOURCES.md`` there), read once, at first use. The module is
pure Python: no AWS, no I/O beyond reading those files.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from advocacy_notify.domain.models import AuthorityMatch, Candidate

from .authority_names import SEP, STOP_KEYS, greedy_core, name_tokens, normalise_name, strip_levels
from .authority_names import bounded_levenshtein as _bounded_levenshtein
from .package_data import read_rows, read_text

__all__ = ["AuthorityDirectory", "LocalAuthority", "normalise_name"]

Status = Literal["resolved", "ambiguous", "unknown"]


@dataclass(frozen=True, slots=True)
class LocalAuthority:
    name: str
    gss_code: str
    dfe_code: str
    region: str


# ---------------------------------------------------------------------------------------------
# Explicit tables (data/*.csv, see SOURCES.md). Targets are canonical names from
# local_authorities.csv; "A|B" = ambiguous. Read once, at first use.
# ---------------------------------------------------------------------------------------------

# name tables in precedence order: the first meaning given to a key wins
_NAME_TABLES = (("la_aliases.csv", "alias"), ("la_predecessors.csv", "predecessor"), ("la_trusts.csv", "trust"))


@dataclass(frozen=True, slots=True)
class _Tables:
    names: tuple[tuple[str, str, str], ...]  # (text, canonical name(s), method)
    welsh: tuple[str, ...]  # principal areas of Wales: never among the 153, never fuzzed onto one
    old_gss: dict[str, tuple[str, ...]]  # codes of abolished or recoded authorities -> successor(s)
    old_dfe: dict[str, tuple[str, ...]]


@functools.cache
def _tables() -> _Tables:
    old: dict[str, dict[str, tuple[str, ...]]] = {"gss": {}, "dfe": {}}
    for row in read_rows("la_old_codes.csv"):
        old[row["scheme"]][row["code"]] = tuple(row["successor_gss_codes"].split("|"))
    return _Tables(
        names=tuple(
            (row["name"], row["canonical_name"], method) for name, method in _NAME_TABLES for row in read_rows(name)
        ),
        welsh=tuple(row["name"] for row in read_rows("welsh_councils.csv")),
        old_gss=old["gss"],
        old_dfe=old["dfe"],
    )


_GSS_RE = re.compile(r"[A-Z]\d{8}")
_DFE_RE = re.compile(r"\d{3}")


_FUZZY_MIN_LEN = 8
_FUZZY_LONG_LEN = 12
_FUZZY_GAP = 3


# ---------------------------------------------------------------------------------------------
# The directory
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    """What a lookup key means: one code (resolved), several (ambiguous) or none (not English)."""

    codes: tuple[str, ...]
    method: str

    @property
    def foreign(self) -> bool:
        return not self.codes


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: Status
    codes: tuple[str, ...]
    method: str | None


_UNKNOWN = _Outcome("unknown", (), None)
_NOT_ENGLISH = "not_english"  # method reported for Welsh councils (status unknown)
_NOT_ENGLISH_OUTCOME = _Outcome("unknown", (), _NOT_ENGLISH)
_STRONG_METHODS = frozenset({"alias", "predecessor", "trust"})
_CACHE_MAX = 200_000  # per cache; cleared when full (bounded memory on odd inputs)


class AuthorityDirectory:
    """The 153 authorities, indexed for fast, conservative resolution of free-text names."""

    def __init__(
        self,
        authorities: Iterable[LocalAuthority],
        variants: Iterable[tuple[str, str, str]] = (),
    ) -> None:
        """`variants` are ``(variant, canonical_name, source)`` rows as in la_name_variants.csv."""
        self._authorities = sorted(authorities, key=lambda la: la.name)
        self._by_gss: dict[str, LocalAuthority] = {}
        self._by_name: dict[str, LocalAuthority] = {}
        self._dfe: dict[str, tuple[str, ...]] = {}
        for la in self._authorities:
            if la.gss_code in self._by_gss or la.name in self._by_name or la.dfe_code in self._dfe:
                raise ValueError(f"duplicate authority: {la}")
            self._by_gss[la.gss_code] = la
            self._by_name[la.name] = la
            self._dfe[la.dfe_code] = (la.gss_code,)
        self._gss: dict[str, tuple[str, ...]] = {code: (code,) for code in self._by_gss}
        tables = _tables()
        for old, new in tables.old_gss.items():
            if old not in self._gss and all(c in self._by_gss for c in new):
                self._gss[old] = new
        for old, new in tables.old_dfe.items():
            if old not in self._dfe and all(c in self._by_gss for c in new):
                self._dfe[old] = new

        self._exact: dict[str, _Entry] = {}
        for la in self._authorities:
            self._add_exact(la.name, (la.gss_code,), "name")
        for text in tables.welsh:
            self._add_exact(text, (), _NOT_ENGLISH)
        for text, target, method in tables.names:
            # A directory built from a subset (tests) skips entries naming absent authorities.
            if all(name in self._by_name for name in target.split("|")):
                self._add_exact(text, self._codes_for(target), method)
        for variant, canonical, source in variants:
            self._add_exact(variant, self._codes_for(canonical), _variant_method(source))

        # Every form reachable by stripping affixes from a known key, so that e.g. the input
        # "Kingston upon Hull City Council" meets "Kingston upon Hull, City of" at "kingston on hull".
        derived: dict[str, _Entry] = {}
        for key, entry in self._exact.items():
            for level in strip_levels(tuple(key.split()))[1:]:
                for toks, _trust in level:
                    dkey = " ".join(toks)
                    if dkey in self._exact or dkey in STOP_KEYS:
                        continue
                    old_entry = derived.get(dkey)
                    if old_entry is None:
                        derived[dkey] = entry
                    elif old_entry.codes != entry.codes:
                        derived[dkey] = _Entry(self._sort(old_entry.codes + entry.codes), "normalised")
        self._derived = derived

        # Fuzzy targets: every key, grouped by what it means.
        self._fuzzy_targets: list[tuple[str, tuple[str, ...]]] = []
        for key, entry in (*self._exact.items(), *derived.items()):
            group = entry.codes if entry.codes else ("foreign:" + key,)
            self._fuzzy_targets.append((key, group))

        self._raw_cache: dict[str, AuthorityMatch] = {}
        self._key_cache: dict[tuple[str, ...], _Outcome] = {}

    # -- construction helpers ----------------------------------------------------------------

    def _codes_for(self, target: str) -> tuple[str, ...]:
        codes: list[str] = []
        for name in target.split("|"):
            la = self._by_name.get(name.strip())
            if la is None:
                raise ValueError(f"unknown canonical authority name {name!r}")
            codes.append(la.gss_code)
        return self._sort(tuple(codes))

    def _sort(self, codes: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(codes), key=lambda c: self._by_gss[c].name))

    def _add_exact(self, text: str, codes: tuple[str, ...], method: str) -> None:
        key = normalise_name(text)
        if not key:
            return
        existing = self._exact.get(key)
        if existing is not None:
            if existing.codes != codes:
                raise ValueError(f"conflicting meanings for {text!r}: {existing.codes} vs {codes}")
            return  # first definition wins: name > foreign > alias > predecessor > trust > variant
        self._exact[key] = _Entry(codes, method)

    # -- public API ----------------------------------------------------------------------------

    @classmethod
    def default(cls) -> AuthorityDirectory:
        """The directory built from the package data (loaded once per process)."""
        return _default_directory()

    @classmethod
    def from_csv_text(cls, authorities_csv: str, variants_csv: str = "") -> AuthorityDirectory:
        authorities = [
            LocalAuthority(
                name=row["name"].strip(),
                gss_code=row["gss_code"].strip().upper(),
                dfe_code=row["dfe_code"].strip(),
                region=row["region"].strip(),
            )
            for row in csv.DictReader(io.StringIO(authorities_csv))
        ]
        variants = [
            (row["variant"], row["canonical_name"], row.get("source") or "")
            for row in csv.DictReader(io.StringIO(variants_csv))
        ]
        return cls(authorities, variants)

    def all(self) -> list[LocalAuthority]:
        return list(self._authorities)

    def by_gss(self, code: str) -> LocalAuthority | None:
        return self._by_gss.get(code.strip().upper())

    def resolve_many(self, texts: Iterable[str]) -> list[AuthorityMatch]:
        return [self.resolve(text) for text in texts]

    def resolve(self, text: str) -> AuthorityMatch:
        cached = self._raw_cache.get(text)
        if cached is not None:
            if not cached.candidates:  # the common case (resolved): frozen, nothing mutable to share
                return cached
            return cached.model_copy(update={"candidates": list(cached.candidates)})
        outcome = self._resolve_code(text.strip().upper())
        if outcome is None:
            tokens = name_tokens(text)
            outcome = self._key_cache.get(tokens)
            if outcome is None:
                outcome = self._resolve_tokens(tokens)
                if len(self._key_cache) >= _CACHE_MAX:
                    self._key_cache.clear()
                self._key_cache[tokens] = outcome
        match = self._to_match(text, outcome)
        if len(self._raw_cache) >= _CACHE_MAX:
            self._raw_cache.clear()
        self._raw_cache[text] = match
        return match.model_copy(update={"candidates": list(match.candidates)})

    # -- resolution ----------------------------------------------------------------------------

    def _to_match(self, text: str, outcome: _Outcome) -> AuthorityMatch:
        if outcome.status == "resolved":
            la = self._by_gss[outcome.codes[0]]
            return AuthorityMatch(
                input=text, status="resolved", gss_code=la.gss_code, name=la.name, method=outcome.method
            )
        return AuthorityMatch(
            input=text,
            status=outcome.status,
            candidates=[Candidate(gss_code=c, name=self._by_gss[c].name) for c in outcome.codes],
            method=outcome.method,
        )

    def _resolve_code(self, code: str) -> _Outcome | None:
        if _GSS_RE.fullmatch(code):
            codes = self._gss.get(code)
            return _UNKNOWN if codes is None else _outcome(codes, "gss")
        if _DFE_RE.fullmatch(code):
            codes = self._dfe.get(code)
            return _UNKNOWN if codes is None else _outcome(codes, "dfe")
        return None

    def _resolve_tokens(self, tokens: tuple[str, ...]) -> _Outcome:
        words = tuple(t for t in tokens if t != SEP)
        if not words:
            return _UNKNOWN
        found = self._lookup(words)
        if found is not None:
            return found
        combined = self._combined(tokens)
        if combined is not None:
            return combined
        return self._fuzzy(" ".join(greedy_core(words)))

    def _entry(self, key: str) -> _Entry | None:
        entry = self._exact.get(key)
        return entry if entry is not None else self._derived.get(key)

    def _lookup(self, words: tuple[str, ...]) -> _Outcome | None:
        """Exact key, else the least-stripped forms that are known; disagreement = ambiguous."""
        key = " ".join(words)
        entry = self._exact.get(key)
        if entry is not None:
            return _entry_outcome(entry, entry.method)
        for level in strip_levels(words):
            hits: list[tuple[_Entry, bool]] = []
            for toks, trust in level:
                dkey = " ".join(toks)
                if dkey in STOP_KEYS:
                    continue
                hit = self._entry(dkey)
                if hit is not None:
                    hits.append((hit, trust))
            if not hits:
                continue
            codes = self._sort(c for hit, _ in hits for c in hit.codes)
            if not codes:
                return _NOT_ENGLISH_OUTCOME
            if len({hit.codes for hit, _ in hits}) > 1:
                return _Outcome("ambiguous", codes, "normalised")
            first = hits[0][0]
            if first.method in _STRONG_METHODS:
                method = first.method
            elif any(trust for _, trust in hits):
                method = "trust"
            else:
                method = "normalised"
            return _entry_outcome(first, method)
        return None

    def _combined(self, tokens: tuple[str, ...]) -> _Outcome | None:
        """Several authorities in one cell ("A / B", "A and B", "A, B"): never one of them."""
        pieces: list[tuple[str, ...]] = []
        joiners: list[str] = []  # joiners[i] sits between pieces[i] and pieces[i + 1]
        current: list[str] = []
        for tok in tokens:
            if tok in (SEP, "and"):
                if current:
                    pieces.append(tuple(current))
                    joiners.append(tok)
                    current = []
                elif joiners:
                    joiners[-1] = SEP if SEP in (joiners[-1], tok) else tok
            else:
                current.append(tok)
        if current:
            pieces.append(tuple(current))
        else:
            joiners = joiners[: max(len(pieces) - 1, 0)]
        n = len(pieces)
        if n < 2 or n > 12:
            return None

        def segment(i: int, j: int) -> tuple[str, ...]:  # pieces i..j-1 joined, "/" dropped
            words: list[str] = list(pieces[i])
            for k in range(i + 1, j):
                if joiners[k - 1] == "and":
                    words.append("and")
                words.extend(pieces[k])
            return tuple(words)

        resolved: dict[tuple[int, int], _Outcome] = {}
        for i in range(n):
            for j in range(i + 1, n + 1):
                if (i, j) == (0, n):
                    continue  # the whole text: already looked up
                outcome = self._lookup(segment(i, j))
                if outcome is not None and (outcome.status != "unknown" or outcome.method == _NOT_ENGLISH):
                    resolved[i, j] = outcome
        reach_from_start = [False] * (n + 1)
        reach_from_start[0] = True
        for j in range(1, n + 1):
            reach_from_start[j] = any(reach_from_start[i] and (i, j) in resolved for i in range(j))
        reach_to_end = [False] * (n + 1)
        reach_to_end[n] = True
        for i in range(n - 1, -1, -1):
            reach_to_end[i] = any(reach_to_end[j] and (i, j) in resolved for j in range(i + 1, n + 1))
        if not reach_from_start[n]:
            return None
        used = [o for (i, j), o in resolved.items() if reach_from_start[i] and reach_to_end[j]]
        codes = self._sort(c for o in used for c in o.codes)
        if not codes:
            return _UNKNOWN
        if len(codes) == 1 and all(o.status == "resolved" for o in used):
            return _Outcome("resolved", codes, used[0].method)
        return _Outcome("ambiguous", codes, "combined")

    def _fuzzy(self, core: str) -> _Outcome:
        """Typos only: a clear winner within 1 edit (2 for long names), 3+ edits ahead of the rest."""
        n = len(core)
        if n < _FUZZY_MIN_LEN:
            return _UNKNOWN
        threshold = 2 if n >= _FUZZY_LONG_LEN else 1
        limit = threshold + _FUZZY_GAP - 1
        best_by_group: dict[tuple[str, ...], int] = {}
        for key, group in self._fuzzy_targets:
            if abs(len(key) - n) > limit:
                continue
            d = _bounded_levenshtein(core, key, limit)
            if d <= limit and d < best_by_group.get(group, limit + 1):
                best_by_group[group] = d
        if not best_by_group:
            return _UNKNOWN
        best = min(best_by_group.values())
        if best > threshold:
            return _UNKNOWN
        close = [g for g, d in best_by_group.items() if d < best + _FUZZY_GAP]
        if len(close) == 1:
            group = close[0]
            if group[0].startswith("foreign:"):
                return _UNKNOWN
            return _outcome(group, "fuzzy")
        codes = self._sort(c for g in close if not g[0].startswith("foreign:") for c in g)
        if len(codes) >= 2:
            return _Outcome("ambiguous", codes, "fuzzy")
        return _UNKNOWN


def _outcome(codes: tuple[str, ...], method: str) -> _Outcome:
    if not codes:
        return _UNKNOWN
    return _Outcome("resolved" if len(codes) == 1 else "ambiguous", codes, method)


def _entry_outcome(entry: _Entry, method: str) -> _Outcome:
    if entry.foreign:
        return _NOT_ENGLISH_OUTCOME
    return _outcome(entry.codes, method)


def _variant_method(source: str) -> str:
    s = source.casefold()
    if "[predecessor" in s:
        return "predecessor"
    if "[children's services trust" in s or "[childrens services trust" in s:
        return "trust"
    return "variant"


@functools.cache
def _default_directory() -> AuthorityDirectory:
    return AuthorityDirectory.from_csv_text(read_text("local_authorities.csv"), read_text("la_name_variants.csv"))
