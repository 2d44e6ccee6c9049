"""The 153 English local authorities with children's services duties, and name resolution.

Placing authority names arrive as free text. `AuthorityDirectory.resolve` turns one into an
`AuthorityMatch`. A wrong match emails the wrong council about a child, which is worse than no
match, so every step below prefers "ambiguous" or "unknown" to a guess:

1. Codes: a GSS code (``E06000058``, any case) or a 3-digit DfE code. Codes of abolished
   authorities map to their successor when there is exactly one; split ones are ambiguous.
2. Exact canonical names and known variants (``la_name_variants.csv``), after normalisation.
3. Explicit aliases, predecessors and children's services trusts (tables below).
4. Affix stripping ("London Borough of", "City Council", "MBC", "UA", "Limited", ...): every
   form reachable by stripping is looked up; the least-stripped forms that match win, and if
   they disagree the result is ambiguous.
5. Combined names ("Kingston upon Thames / Richmond upon Thames", "Kent and Surrey") are
   ambiguous with every authority they name; exact names that contain "and" are tried first.
6. A conservative fuzzy step for typos only (see `_fuzzy`).

Welsh councils and blank input are unknown. The module is pure Python: no AWS, no I/O beyond
reading the package's own data files.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from advocacy_notify.domain.models import AuthorityMatch, Candidate

__all__ = ["AuthorityDirectory", "LocalAuthority", "normalise_name"]

Status = Literal["resolved", "ambiguous", "unknown"]


@dataclass(frozen=True, slots=True)
class LocalAuthority:
    name: str
    gss_code: str
    dfe_code: str
    region: str


# ---------------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------------

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


def _tokens(text: str) -> tuple[str, ...]:
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
    return " ".join(tok for tok in _tokens(text) if tok != SEP)


def _phrases(*texts: str) -> tuple[tuple[str, ...], ...]:
    # Longest first, so the greedy core strips "county council" before "council".
    return tuple(sorted((tuple(t.split()) for t in texts), key=len, reverse=True))


# Affixes that never carry the identity of an authority. Stripped one at a time, in every
# order; a form is only ever looked up, never trusted because of how it was reached.
_PREFIXES = _phrases(
    "the",
    "london borough of",
    "london borough",
    "royal borough of",
    "royal borough",
    "metropolitan borough of",
    "metropolitan district of",
    "borough of",
    "city of",
    "county of",
    "city and county of",
    "council of the",
    "corporation of",
    "lb of",
    "lb",
    "rb of",
    "rb",
)
_SUFFIXES = _phrases(
    "council",
    "councils",
    "city council",
    "county council",
    "borough council",
    "metropolitan borough council",
    "metropolitan district council",
    "district council",
    "county borough council",
    "london borough council",
    "unitary authority",
    "unitary council",
    "local authority",
    "city",
    "county",
    "borough",
    "metropolitan borough",
    "district",
    "city of",
    "county of",
    # "Kensington and Chelsea, Royal Borough of": the inverted form, like "Bristol, City of".
    "royal borough of",
    "london borough of",
    "metropolitan borough of",
    "borough of",
    "corporation",
    "mbc",
    "mdc",
    "lbc",
    "cc",
    "bc",
    "dc",
    "ua",
    "la",
    "pre lg",
    "childrens services",
    "childrens social care",
    "childrens services department",
    "social services",
    "limited",
    "ltd",
    "cic",
    "community interest company",
)
# Stripping one of these marks a children's services trust or company acting for an LA.
_TRUST_SUFFIXES = _phrases(
    "childrens trust",
    "childrens services trust",
    "children and families trust",
)
_TRUST_PREFIXES = _phrases("childrens services trust")
# Forms that must never be matched even though stripping can produce them ("City of London"
# is an authority; "London" is not one).
_STOP_KEYS = frozenset({"london", "greater london"})

_MAX_STRIP_DEPTH = 8
# A stripped form never starts or ends with a connective ("London Borough Of X" -> "of x");
# it may end with "of" ("Bristol, City of Council" -> "bristol city of").
_DANGLING = frozenset({"of", "and", "the", "with"})
_DANGLING_END = frozenset({"and", "the", "with"})


def _strip_levels(tokens: tuple[str, ...]) -> list[list[tuple[tuple[str, ...], bool]]]:
    """Every form reachable by stripping affixes, grouped by how many were stripped.

    Each form carries a flag: True when a children's-trust affix was stripped on the way.
    Level 0 is the input itself.
    """
    levels: list[list[tuple[tuple[str, ...], bool]]] = [[(tokens, False)]]
    seen: dict[tuple[str, ...], bool] = {tokens: False}
    for _ in range(_MAX_STRIP_DEPTH):
        nxt: dict[tuple[str, ...], bool] = {}
        for toks, trust in levels[-1]:
            n = len(toks)
            for affixes, is_trust, at_start in (
                (_PREFIXES, False, True),
                (_TRUST_PREFIXES, True, True),
                (_SUFFIXES, False, False),
                (_TRUST_SUFFIXES, True, False),
            ):
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


def _greedy_core(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Strip every affix, longest first, from both ends (the key the fuzzy step compares)."""
    toks = tokens
    changed = True
    while changed:
        changed = False
        for affixes, at_start in (
            (_PREFIXES, True),
            (_TRUST_PREFIXES, True),
            (_SUFFIXES, False),
            (_TRUST_SUFFIXES, False),
        ):
            for affix in affixes:
                k = len(affix)
                if k < len(toks) and (toks[:k] == affix if at_start else toks[len(toks) - k :] == affix):
                    toks = toks[k:] if at_start else toks[: len(toks) - k]
                    changed = True
                    break
    return toks


# ---------------------------------------------------------------------------------------------
# Explicit tables. Targets are canonical names from local_authorities.csv; "A|B" = ambiguous.
# ---------------------------------------------------------------------------------------------

_BCP = "Bournemouth, Christchurch and Poole"
_CUMBRIA = "Cumberland|Westmorland and Furness"
_NORTHANTS = "North Northamptonshire|West Northamptonshire"

# Short forms and abbreviations judged unambiguous, plus a few that are deliberately ambiguous.
_ALIASES: dict[str, str] = {
    "Hull": "Kingston upon Hull, City of",
    "BCP": _BCP,
    "Bath": "Bath and North East Somerset",
    "Bath and NE Somerset": "Bath and North East Somerset",
    "Bath North East Somerset": "Bath and North East Somerset",
    "B&NES": "Bath and North East Somerset",
    "BANES": "Bath and North East Somerset",
    "Southend": "Southend-on-Sea",
    "Stoke": "Stoke-on-Trent",
    "Stockton": "Stockton-on-Tees",
    "Telford": "Telford and Wrekin",
    "Redcar": "Redcar and Cleveland",
    "Durham": "County Durham",
    "Hammersmith": "Hammersmith and Fulham",
    "LBHF": "Hammersmith and Fulham",
    "Kensington": "Kensington and Chelsea",
    "RBKC": "Kensington and Chelsea",
    "Barking": "Barking and Dagenham",
    "Brighton": "Brighton and Hove",
    "Windsor": "Windsor and Maidenhead",
    "RBWM": "Windsor and Maidenhead",
    "Blackburn": "Blackburn with Darwen",
    "Blackburn and Darwen": "Blackburn with Darwen",
    "East Riding": "East Riding of Yorkshire",
    "Cheshire West": "Cheshire West and Chester",
    "North Lincs": "North Lincolnshire",
    "NE Lincs": "North East Lincolnshire",
    "North East Lincs": "North East Lincolnshire",
    "Scilly": "Isles of Scilly",
    "Corporation of London": "City of London",
    "City of London Corporation": "City of London",
    "Royal Borough of Kingston": "Kingston upon Thames",
    "London Borough of Richmond": "Richmond upon Thames",
    # Standard county abbreviations (each names exactly one county council). Not "Derbys":
    # it is also "Derby's" once the apostrophe goes, and Derby is a different authority.
    "Herts": "Hertfordshire",
    "Hants": "Hampshire",
    "Lancs": "Lancashire",
    "Lincs": "Lincolnshire",
    "Notts": "Nottinghamshire",
    "Leics": "Leicestershire",
    "Worcs": "Worcestershire",
    "Warks": "Warwickshire",
    "Staffs": "Staffordshire",
    "Glos": "Gloucestershire",
    "South Glos": "South Gloucestershire",
    "Oxon": "Oxfordshire",
    "Cambs": "Cambridgeshire",
    "Bucks": "Buckinghamshire",
    "Wilts": "Wiltshire",
    "North Northants": "North Northamptonshire",
    "West Northants": "West Northamptonshire",
    # Deliberately ambiguous: a bare place name shared by two authorities' areas.
    "Kingston": "Kingston upon Thames|Kingston upon Hull, City of",
    # Richmondshire (a North Yorkshire district) and Newcastle-under-Lyme (Staffordshire).
    "Richmond": "Richmond upon Thames|North Yorkshire",
    "Newcastle": "Newcastle upon Tyne|Staffordshire",
}

_PREDECESSORS: dict[str, str] = {
    "Bournemouth": _BCP,
    "Poole": _BCP,
    "Christchurch": _BCP,
    "Bournemouth (Pre LG)": _BCP,
    "Poole (Pre LG)": _BCP,
    "Christchurch (Pre LG)": _BCP,
    "Dorset County Council": "Dorset",
    "Buckinghamshire County Council": "Buckinghamshire",
    "North Yorkshire County Council": "North Yorkshire",
    "Somerset County Council": "Somerset",
    # Split on abolition: ambiguous.
    "Cumbria": _CUMBRIA,
    "Cumbria County Council": _CUMBRIA,
    "Northamptonshire": _NORTHANTS,
    "Northamptonshire County Council": _NORTHANTS,
    "Northants": _NORTHANTS,
    "Bedfordshire": "Bedford|Central Bedfordshire",
    "Bedfordshire County Council": "Bedford|Central Bedfordshire",
    "Cheshire": "Cheshire East|Cheshire West and Chester",
    "Cheshire County Council": "Cheshire East|Cheshire West and Chester",
    "Berkshire": "Bracknell Forest|Reading|Slough|West Berkshire|Windsor and Maidenhead|Wokingham",
}

_TRUSTS: dict[str, str] = {
    "Birmingham Children's Trust": "Birmingham",
    "Birmingham Children's Trust (Community Interest Company)": "Birmingham",
    "Together for Children": "Sunderland",
    "Together for Children (Sunderland)": "Sunderland",
    "Together for Children (Sunderland) (Limited)": "Sunderland",
    "Slough Children's Services Trust": "Slough",
    "Slough Children's Services Trust (Limited)": "Slough",
    "Slough Children First": "Slough",
    "Sandwell Children's Trust": "Sandwell",
    "Doncaster Children's Services Trust": "Doncaster",
    "Children's Services Trust Doncaster": "Doncaster",
    "Bradford Children and Families Trust": "Bradford",
    "Worcestershire Children First": "Worcestershire",
    "Brighter Futures for Children": "Reading",
    # Trusts serving several authorities: ambiguous.
    "Achieving for Children": "Kingston upon Thames|Richmond upon Thames|Windsor and Maidenhead",
    "Children First Northamptonshire": _NORTHANTS,
    "Northamptonshire Children's Trust": _NORTHANTS,
}

# Principal areas of Wales: never among the 153, never fuzzed onto an English authority.
_WELSH = (
    "Blaenau Gwent",
    "Bridgend",
    "Caerphilly",
    "Cardiff",
    "Carmarthenshire",
    "Ceredigion",
    "Conwy",
    "Denbighshire",
    "Flintshire",
    "Gwynedd",
    "Isle of Anglesey",
    "Anglesey",
    "Ynys Mon",
    "Merthyr Tydfil",
    "Monmouthshire",
    "Neath Port Talbot",
    "Newport",
    "Pembrokeshire",
    "Powys",
    "Rhondda Cynon Taf",
    "Rhondda Cynon Taff",
    "Swansea",
    "Torfaen",
    "Vale of Glamorgan",
    "Wrexham",
)

# Codes of abolished or recoded authorities -> successor GSS code(s).
_OLD_GSS: dict[str, tuple[str, ...]] = {
    "E06000028": ("E06000058",),  # Bournemouth -> BCP
    "E06000029": ("E06000058",),  # Poole -> BCP
    "E10000009": ("E06000059",),  # Dorset County Council -> Dorset
    "E10000002": ("E06000060",),  # Buckinghamshire County Council -> Buckinghamshire
    "E10000023": ("E06000065",),  # North Yorkshire County Council -> North Yorkshire
    "E10000027": ("E06000066",),  # Somerset County Council -> Somerset
    "E08000020": ("E08000037",),  # Gateshead, recoded 2013
    "E06000048": ("E06000057",),  # Northumberland, recoded 2013
    "E10000006": ("E06000063", "E06000064"),  # Cumbria: split
    "E10000021": ("E06000061", "E06000062"),  # Northamptonshire: split
}
_OLD_DFE: dict[str, tuple[str, ...]] = {
    "837": ("E06000058",),  # Bournemouth
    "836": ("E06000058",),  # Poole
    "835": ("E06000059",),  # Dorset County Council
    "909": ("E06000063", "E06000064"),  # Cumbria: split
    "928": ("E06000061", "E06000062"),  # Northamptonshire: split
}
_GSS_RE = re.compile(r"[A-Z]\d{8}")
_DFE_RE = re.compile(r"\d{3}")


# ---------------------------------------------------------------------------------------------
# Fuzzy matching
# ---------------------------------------------------------------------------------------------


def _bounded_levenshtein(a: str, b: str, limit: int) -> int:
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
        for old, new in _OLD_GSS.items():
            if old not in self._gss and all(c in self._by_gss for c in new):
                self._gss[old] = new
        for old, new in _OLD_DFE.items():
            if old not in self._dfe and all(c in self._by_gss for c in new):
                self._dfe[old] = new

        self._exact: dict[str, _Entry] = {}
        for la in self._authorities:
            self._add_exact(la.name, (la.gss_code,), "name")
        for text in _WELSH:
            self._add_exact(text, (), _NOT_ENGLISH)
        for table, method in ((_ALIASES, "alias"), (_PREDECESSORS, "predecessor"), (_TRUSTS, "trust")):
            for text, target in table.items():
                # A directory built from a subset (tests) skips entries naming absent authorities.
                if all(name in self._by_name for name in target.split("|")):
                    self._add_exact(text, self._codes_for(target), method)
        for variant, canonical, source in variants:
            self._add_exact(variant, self._codes_for(canonical), _variant_method(source))

        # Every form reachable by stripping affixes from a known key, so that e.g. the input
        # "Kingston upon Hull City Council" meets "Kingston upon Hull, City of" at "kingston on hull".
        derived: dict[str, _Entry] = {}
        for key, entry in self._exact.items():
            for level in _strip_levels(tuple(key.split()))[1:]:
                for toks, _trust in level:
                    dkey = " ".join(toks)
                    if dkey in self._exact or dkey in _STOP_KEYS:
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
            tokens = _tokens(text)
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
        return self._fuzzy(" ".join(_greedy_core(words)))

    def _entry(self, key: str) -> _Entry | None:
        entry = self._exact.get(key)
        return entry if entry is not None else self._derived.get(key)

    def _lookup(self, words: tuple[str, ...]) -> _Outcome | None:
        """Exact key, else the least-stripped forms that are known; disagreement = ambiguous."""
        key = " ".join(words)
        entry = self._exact.get(key)
        if entry is not None:
            return _entry_outcome(entry, entry.method)
        for level in _strip_levels(words):
            hits: list[tuple[_Entry, bool]] = []
            for toks, trust in level:
                dkey = " ".join(toks)
                if dkey in _STOP_KEYS:
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


def _read_data(name: str) -> str:
    try:
        data = resources.files("advocacy_notify").joinpath("data")
        return data.joinpath(name).read_text(encoding="utf-8-sig")
    except (OSError, TypeError, ModuleNotFoundError):
        # An editable install made before the package had an __init__.py exposes it as a
        # namespace package, which importlib.resources cannot read on Python 3.11.
        return (Path(__file__).resolve().parent.parent / "data" / name).read_text(encoding="utf-8-sig")


@functools.cache
def _default_directory() -> AuthorityDirectory:
    return AuthorityDirectory.from_csv_text(_read_data("local_authorities.csv"), _read_data("la_name_variants.csv"))
