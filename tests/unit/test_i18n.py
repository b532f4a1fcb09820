"""Interface languages: the catalogues parse, every marked text of the interface has its Polish translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from kb import i18n

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"t": None, "N_": None}
INTERFACE = ("ui", "views", "briefs")  # the packages whose texts a user reads (the library's messages stay English)


def _marked() -> dict[str, str]:
    """Every literal passed to ``t(...)`` or ``N_(...)`` in the package, with where it is."""
    out: dict[str, str] = {}
    for pkg in INTERFACE:
        for filename, lineno, message, _comments, _context in extract_from_dir(
                str(ROOT / "kb" / pkg), method_map=[("**.py", "python")], keywords=KEYWORDS):
            if isinstance(message, str) and any(ch.isalpha() for ch in message):
                out.setdefault(message, f"kb/{pkg}/{filename}:{lineno}")
    return out


def test_every_catalogue_parses_and_has_no_fuzzy_or_empty_entry() -> None:
    files = sorted((i18n.LOCALE_DIR).glob("*/LC_MESSAGES/*.po"))
    assert files, "at least the Polish frame"
    for path in files:
        with path.open("rb") as fh:
            cat = read_po(fh)
        for m in cat:
            if not m.id:
                continue
            assert not m.fuzzy, f"{path.name}: fuzzy entry {m.id!r}"
            assert m.string, f"{path.name}: {m.id!r} has no translation"


def test_every_marked_text_of_the_interface_has_a_polish_translation() -> None:
    marked = _marked()
    assert "District plan" in marked and "Knowledge base" in marked
    t = i18n.translator("pl")
    missing = [f"{where}: {msg!r}" for msg, where in marked.items() if t(msg) == msg]
    assert not missing, "untranslated in kb/locale/pl:\n" + "\n".join(missing[:40])


def test_untranslated_and_unknown_languages_fall_back_to_english() -> None:
    assert i18n.translator("pl")("District plan") == "Plan dzielnicy"
    assert i18n.translator("pl")("no such text") == "no such text"
    assert i18n.translator("xx")("District plan") == "District plan"
    assert i18n.translator("en")("District plan") == "District plan"


def test_the_browser_locale_picks_an_offered_language() -> None:
    assert i18n.language_from("pl-PL") == "pl"
    assert i18n.language_from("pl") == "pl"
    assert i18n.language_from("de-DE") == "en"
    assert i18n.language_from(None) == "en"
    assert i18n.language_from("not a locale!") == "en"
    assert i18n.locale_of("pl") == "pl_PL" and i18n.locale_of("??") == "en_GB"


def test_one_translation_per_text_across_the_catalogues() -> None:
    """The catalogues are merged into one table: a text translated two ways would show whichever file loads last,
    so the same English text must read the same everywhere (one terminology)."""
    seen: dict[str, dict[str, str]] = {}
    for path in sorted(i18n.LOCALE_DIR.glob("*/LC_MESSAGES/*.po")):
        with path.open("rb") as fh:
            for m in read_po(fh):
                if m.id and isinstance(m.id, str) and isinstance(m.string, str):
                    seen.setdefault(f"{path.parent.parent.name}:{m.id}", {})[path.name] = m.string
    clashes = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not clashes, clashes
