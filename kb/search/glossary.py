"""Query language detection and glossary translation, so that a Polish or Danish query also searches in English.

The records are in English and the bundled embedding model is English. A query is read as one of pl, hu, sk, lv,
da, pt, es, nl when its function words, letters and glossary terms say so more clearly than they say English;
its domain terms are then rendered in English from ``kb.search.glossary_terms`` (inflected forms by prefix, compounds
such as ``jordvarmepumpe`` split into known parts). English queries are left exactly as typed.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache

from kb.search.glossary_terms import FUNCTION_WORDS, LANGS, LANGUAGE_NAMES, MARK_LETTERS, TABLE
from kb.text import fold

log = logging.getLogger(__name__)

MAX_TOKENS = 64
MIN_STEM = 3          # a compound part or a prefix entry shorter than this never matches inside a word
MAX_SUFFIX = 4        # letters left after the last part of a compound that count as an ending
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Pattern:
    """One glossary variant: folded words; ``star``: the last word is a prefix."""

    words: tuple[str, ...]
    star: bool
    english: str


@dataclass(frozen=True)
class Reading:
    """How a query was read: its language, and for a non-English query its English rendering."""

    language: str = "en"
    english: str = ""
    terms: tuple[tuple[str, str], ...] = field(default=())   # (the query's words, their English)
    scores: tuple[tuple[str, float], ...] = field(default=())

    @property
    def name(self) -> str:
        return LANGUAGE_NAMES.get(self.language, self.language)

    def note(self) -> str:
        """A short sentence for the search page; empty for English."""
        if self.language == "en":
            return ""
        if self.english:
            return f"Query read as {self.name}; searched also as: {self.english}"
        return f"Query read as {self.name}; no glossary term found, searched as typed"


def tokens(text: str) -> list[str]:
    """Folded word tokens (lower case, no diacritics), at most ``MAX_TOKENS``."""
    return [fold(t) for t in _WORD.findall(text)[:MAX_TOKENS]]


@lru_cache(maxsize=1)
def patterns() -> dict[str, list[Pattern]]:
    """The glossary table parsed into patterns per language (English words of each concept per language)."""
    out: dict[str, list[Pattern]] = {lang: [] for lang in LANGS}
    for line in TABLE.strip().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) != len(LANGS) + 1:
            raise ValueError(f"glossary row needs {len(LANGS) + 1} cells: {line!r}")
        english, rest = cells[0], cells[1:]
        for lang, cell in zip(LANGS, rest, strict=True):
            if cell in ("", "-"):
                continue
            for variant in cell.split(","):
                v = variant.strip()
                star = v.endswith("*")
                words = tuple(tokens(v.rstrip("*")))
                if words:
                    out[lang].append(Pattern(words, star, english))
    return out


@lru_cache(maxsize=1)
def _stems() -> dict[str, list[tuple[str, bool, str]]]:
    """Single-word entries per language, longest first: ``(stem, star, english)`` for compound splitting."""
    out: dict[str, list[tuple[str, bool, str]]] = {}
    for lang, pats in patterns().items():
        one = {(p.words[0], p.star, p.english) for p in pats if len(p.words) == 1 and len(p.words[0]) >= MIN_STEM}
        out[lang] = sorted(one, key=lambda s: (-len(s[0]), s[0]))
    return out


@lru_cache(maxsize=1)
def _function_words() -> dict[str, frozenset[str]]:
    return {lang: frozenset(fold(w) for w in words.split()) for lang, words in FUNCTION_WORDS.items()}


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    words = {fold(w) for line in TABLE.strip().splitlines() for w in _WORD.findall(line.split("|")[0])}
    return frozenset(w for w in words if len(w) >= 3)


def _english(tok: str, vocab: frozenset[str]) -> bool:
    """A glossary English word, possibly inflected (``panels``, ``reduced``, ``heating``)."""
    return any(tok[:len(tok) - k] in vocab for k in range(0, 4) if len(tok) - k >= MIN_STEM)


def _word_match(tok: str, pat_word: str, star: bool) -> bool:
    return tok == pat_word or (star and len(pat_word) >= MIN_STEM and tok.startswith(pat_word))


def _split_compound(rest: str, lang: str) -> list[str] | None:
    """English of the known parts that make up ``rest`` (a word's remainder), or None if it is not a compound.

    A prefix entry may be followed by a short ending; a whole-word entry only by another part or nothing.
    """
    found: list[str] = []
    pos = 0
    ending_ok = False
    while pos < len(rest):
        if ending_ok and len(rest) - pos <= MAX_SUFFIX:
            break
        for stem, star, english in _stems()[lang]:
            if rest.startswith(stem, pos):
                found.append(english)
                pos += len(stem)
                ending_ok = star
                break
        else:
            if found and rest[pos] in "se" and pos + 1 < len(rest):   # linking letters: kanal-s-, zomer-e-
                pos += 1
                ending_ok = False
                continue
            return None
    return found or None


def translate(toks: list[str], lang: str) -> tuple[list[tuple[str, str]], int]:
    """Glossary terms found in folded tokens: ``[(words, english)]`` and how many tokens they cover."""
    pats = patterns()[lang]
    terms: list[tuple[str, str]] = []
    covered = 0
    i = 0
    while i < len(toks):
        best: Pattern | None = None
        for p in pats:
            n = len(p.words)
            if i + n > len(toks):
                continue
            if (all(toks[i + j] == p.words[j] for j in range(n - 1))
                    and _word_match(toks[i + n - 1], p.words[-1], p.star)):
                if best is None or (n, len(p.words[-1])) > (len(best.words), len(best.words[-1])):
                    best = p
        if best is not None:
            n = len(best.words)
            terms.append((" ".join(toks[i:i + n]), best.english))
            last = toks[i + n - 1]
            if best.star and len(last) - len(best.words[-1]) >= MIN_STEM:
                for english in _split_compound(last[len(best.words[-1]):], lang) or []:
                    terms.append((last, english))
            covered += n
            i += n
            continue
        parts = _split_compound(toks[i], lang) if len(toks[i]) >= 2 * MIN_STEM else None
        if parts:
            terms.extend((toks[i], e) for e in parts)
            covered += 1
        i += 1
    return terms, covered


def _marks(text: str, lang: str) -> int:
    letters = MARK_LETTERS.get(lang, "")
    return sum(1 for w in _WORD.findall(text.lower()) if any(ch in letters for ch in w))


def detect(query: str) -> Reading:
    """Read a query: English unless another language has clearly more evidence (never raises)."""
    try:
        return _detect(query)
    except (ValueError, LookupError):  # a malformed glossary table (a bug, logged) must never break search
        log.exception("query language detection failed; the query is read as English")
        return Reading()


def _detect(query: str) -> Reading:
    toks = tokens(query)
    if not toks:
        return Reading()
    fw = _function_words()
    en_vocab = _english_words()
    en_vocab_hits = sum(_english(t, en_vocab) for t in toks)
    scores: dict[str, float] = {}
    margins: dict[str, float] = {}
    found: dict[str, tuple[list[tuple[str, str]], int]] = {}
    for lang in LANGS:
        terms, covered = translate(toks, lang)
        found[lang] = (terms, covered)
        own = sum(t in fw[lang] and t not in fw["en"] for t in toks)    # "in", "a", "no" say nothing
        en_own = sum(t in fw["en"] and t not in fw[lang] for t in toks)
        scores[lang] = 2.0 * own + 3.0 * _marks(query, lang) + covered
        margins[lang] = scores[lang] - (2.0 * en_own + en_vocab_hits)
    best = max(LANGS, key=lambda lang: (margins[lang], scores[lang], found[lang][1]))
    evidence = scores[best] - found[best][1]          # function words and letters beyond glossary terms
    ranked = tuple(sorted(((k, v) for k, v in scores.items() if v > 0), key=lambda kv: -kv[1]))
    terms, covered = found[best]
    long_terms = all(len(words) >= 6 and not _english(words, en_vocab) for words, _ in terms)
    clear = ((evidence >= 2 and (covered > 0 or evidence >= 4)) or covered >= 2
             or (covered == 1 and long_terms and len(toks) <= 2))
    if margins[best] <= 0 or not clear:
        return Reading("en", "", (), ranked)
    english: list[str] = []
    for _, e in terms:
        for w in e.split():
            if w not in english:
                english.append(w)
    return Reading(best, " ".join(english), tuple(terms), ranked)


def expand(query: str) -> tuple[str, str, Reading]:
    """``(full-text query, dense query, reading)``: the query plus its English terms, and the English alone."""
    reading = detect(query)
    if not reading.english:
        return query, query, reading
    return f"{query} {reading.english}", reading.english, reading
