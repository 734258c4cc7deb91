"""Plain-language check for Wegwijzer's Dutch response texts.

This module is the one place for plain-language logic. It measures a text the way a
Dutch reader meets it and holds every response variant to the gate of its audience
(DESIGN.md, "Quality bars"; issue 3, item 3):

* sentences and words come from spaCy's Dutch tokenizer (``spacy.blank("nl")``) with the
  rule-based ``sentencizer``; no model is downloaded;
* syllables come from pyphen's ``nl_NL`` hyphenation dictionary: the hyphenation points
  of a word plus one (like textstat does for Dutch). The patterns never split off a single
  letter at the start or end of a word (``over``, ``oma`` count as one syllable), so the
  count is slightly low and the score slightly generous; the gates were set with the
  same method (shared/domain/anchors.md section 6);
* Flesch-Douma = 206.835 - 0.93 x (words / sentences) - 77 x (syllables / words).

Run it over the domain with ``python -m bot.plain_language [--root DIR] [--fail]``.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import yaml

if TYPE_CHECKING:  # pragma: no cover
    import pyphen
    from spacy.language import Language

# --------------------------------------------------------------------------- gates


@dataclass(frozen=True)
class Gate:
    """Limits a text must stay within for one audience."""

    max_average: float
    """Highest allowed average number of words a sentence."""
    max_sentence: int
    """Highest allowed number of words in any one sentence."""
    min_flesch_douma: float
    """Lowest allowed Flesch-Douma score."""


#: The gate per audience (DESIGN.md contract 1: ``parent`` is the default audience).
#: ``simple`` is A2 for LVB readers, ``parent`` is B1; ``professional`` is reported only.
GATES: dict[str, Gate | None] = {
    "simple": Gate(max_average=10, max_sentence=15, min_flesch_douma=80),
    "parent": Gate(max_average=15, max_sentence=22, min_flesch_douma=65),
    "professional": None,
}

#: A variant with no condition on slot ``audience`` is shown to everybody, so it is held
#: to the gate of the default audience.
DEFAULT_AUDIENCE = "parent"

#: Words of 4+ syllables that are not reported as long words, because there is no
#: shorter word a reader could ask for. Compared without case and diacritics.
ALLOWED_LONG_WORDS: frozenset[str] = frozenset(
    {
        # The legal name of the free support every user has a right to (Wmo 2015
        # art. 2.2.4, Wlz art. 4.2.4). Users must recognise it to ask for it at the desk;
        # the bot explains it where it first appears.
        "clientondersteuner",
        "clientondersteuners",
        "clientondersteuning",
        # A B1 word (on the common B1 word lists) without a shorter plain synonym;
        # "info" is too informal for a municipal site.
        "informatie",
    }
)

#: Responses that are not checked at all. Keep this empty: every text should pass.
#: Add a name only with a reason here that a reviewer accepts.
EXEMPT_RESPONSES: frozenset[str] = frozenset()

LONG_WORD_SYLLABLES = 4
"""A word with at least this many syllables is a long word."""

# --------------------------------------------------------------------------- prepare

# Stand-ins: one short word each, wrapped in guillemets (which the tokenizer treats as
# punctuation) so that a quoted sentence in a report still reads naturally.
URL_WORD = "«link»"
EMAIL_WORD = "«mail»"
PHONE_WORD = "«nummer»"
SLOT_WORD = "«slot»"

_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)\s]*\)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>]*[^\s<>.,;:!?)\]'\"]"  # explicit URLs
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:nl|com|org|eu|net|info|be)\b(?:/[^\s<>]*[^\s<>.,;:!?)\]'\"])?"
)
_SLOT = re.compile(r"\{[^{}\s]*\}")
# Dutch phone numbers: 0800-2000, 088 123 45 67, 020-1234567, 06-12345678, +31 6 1234 5678.
# A date such as 01-02-2026 does not match (the first group is too short and not 06).
_PHONE = re.compile(r"(?<![\w-])(?:\+31[ -]?\d{1,3}|0\d{2,3}|06)(?:[ -]?\d{2,}){1,4}(?![\w-])")
_HEADING = re.compile(r"^#{1,6}\s+")
_QUOTE = re.compile(r"^>\s*")
_BULLET = re.compile(r"^(?:[-*+•–]|\d{1,2}[.)])\s+")
_STRONG = re.compile(r"\*\*|__|~~|`")
_EMPHASIS = re.compile(r"(?<![\w*])[*_](?=\S)(.+?)(?<=\S)[*_](?![\w*])")
_END_PUNCT = ".!?…"
_CLOSERS = "\"')]»”’"
_SOFT_END = ":;,"


def prepare(text: str) -> str:
    """Turn a Rasa response text into the prose that is measured.

    * Markdown emphasis and headings are dropped; a link ``[text](url)`` keeps its text.
    * URLs, e-mail addresses, phone numbers and ``{slot}`` placeholders become one short
      stand-in word each (``«link»``, ``«mail»``, ``«nummer»``, ``«slot»``).
    * Every line is its own sentence: a list item, a heading, or any line that does not
      end in ``.``, ``!``, ``?`` gets a full stop (a final ``:``, ``;`` or ``,`` becomes one).
    """
    text = _MD_LINK.sub(r"\1", text)
    text = _EMAIL.sub(EMAIL_WORD, text)
    text = _URL.sub(URL_WORD, text)
    text = _SLOT.sub(SLOT_WORD, text)
    text = _PHONE.sub(PHONE_WORD, text)
    lines: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        line = _QUOTE.sub("", line)
        line = _HEADING.sub("", line)
        line = _BULLET.sub("", line)
        line = _STRONG.sub("", line)
        line = _EMPHASIS.sub(r"\1", line)
        line = re.sub(r"\s+", " ", line).strip()
        if not line:
            continue
        core = line.rstrip(_CLOSERS)
        if core and core[-1] in _SOFT_END:
            line = core[:-1].rstrip() + "." + line[len(core) :]
        elif not core or core[-1] not in _END_PUNCT:
            line += "."
        lines.append(line)
    return "\n".join(lines)


# --------------------------------------------------------------------------- analyse


@functools.lru_cache(maxsize=1)
def _nlp() -> "Language":
    """spaCy's blank Dutch pipeline with the rule-based sentencizer, built once."""
    # spaCy's thinc probes TensorFlow (installed with Rasa); keep its start-up chatter quiet.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import spacy

    nlp = spacy.blank("nl")
    nlp.add_pipe("sentencizer")
    return nlp


@functools.lru_cache(maxsize=1)
def _hyphenator() -> "pyphen.Pyphen":
    import pyphen

    return pyphen.Pyphen(lang="nl_NL")


def is_word(token: str) -> bool:
    """A token is a word when it contains a letter or a digit (punctuation is not)."""
    return any(ch.isalnum() for ch in token)


@functools.lru_cache(maxsize=4096)
def syllables(word: str) -> int:
    """Dutch syllables of one word: hyphenation points + 1, per part of a compound
    written with a hyphen or slash (``18-jarige``); a number counts as one syllable."""
    total = 0
    for part in re.split(r"[-/–]", word):
        letters = "".join(ch for ch in part if ch.isalpha())
        if letters:
            total += len(_hyphenator().positions(letters.lower())) + 1
        elif any(ch.isdigit() for ch in part):
            total += 1
    return max(total, 1)


def _fold(word: str) -> str:
    """Lower case without diacritics, for the allow-list (cliënt == client)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class TextStats:
    """What :func:`analyse` measures in one text."""

    sentences: list[str]
    """The sentences that contain at least one word, whitespace collapsed."""
    words_per_sentence: list[int]
    syllables_per_sentence: list[int]
    words: int
    syllables: int
    average: float
    """Average words a sentence (0.0 for a text without words)."""
    maximum: int
    """Words in the longest sentence (0 for a text without words)."""
    long_words: list[str]
    """Words of 4+ syllables, in order, not in :data:`ALLOWED_LONG_WORDS`."""
    syllables_per_word: float
    flesch_douma: float | None
    """206.835 - 0.93 x words/sentences - 77 x syllables/words; None without words."""


def flesch_douma(words: int, sentences: int, syllable_count: int) -> float:
    """The Flesch-Douma reading ease for Dutch (higher is easier)."""
    return 206.835 - 0.93 * (words / sentences) - 77 * (syllable_count / words)


def analyse(text: str) -> TextStats:
    """Measure a response text (it is passed through :func:`prepare` first)."""
    doc = _nlp()(prepare(text))
    sentences: list[str] = []
    words_per_sentence: list[int] = []
    syllables_per_sentence: list[int] = []
    long_words: list[str] = []
    for sent in doc.sents:
        words = [tok.text for tok in sent if is_word(tok.text)]
        if not words:
            continue
        counts = [syllables(w) for w in words]
        sentences.append(" ".join(sent.text.split()))
        words_per_sentence.append(len(words))
        syllables_per_sentence.append(sum(counts))
        long_words.extend(
            w
            for w, n in zip(words, counts)
            if n >= LONG_WORD_SYLLABLES and _fold(w) not in ALLOWED_LONG_WORDS
        )
    n_words = sum(words_per_sentence)
    n_syllables = sum(syllables_per_sentence)
    n_sentences = len(sentences)
    return TextStats(
        sentences=sentences,
        words_per_sentence=words_per_sentence,
        syllables_per_sentence=syllables_per_sentence,
        words=n_words,
        syllables=n_syllables,
        average=n_words / n_sentences if n_sentences else 0.0,
        maximum=max(words_per_sentence, default=0),
        long_words=long_words,
        syllables_per_word=n_syllables / n_words if n_words else 0.0,
        flesch_douma=flesch_douma(n_words, n_sentences, n_syllables) if n_words else None,
    )


# --------------------------------------------------------------------------- check


def _gate(audience: str) -> Gate | None:
    if audience not in GATES:
        raise ValueError(f"unknown audience {audience!r}; expected one of {sorted(GATES)}")
    return GATES[audience]


def _problems(stats: TextStats, audience: str) -> list[str]:
    gate = _gate(audience)
    if gate is None or stats.flesch_douma is None:
        return []
    problems: list[str] = []
    for sentence, n in zip(stats.sentences, stats.words_per_sentence):
        if n > gate.max_sentence:
            problems.append(
                f"sentence of {n} words (max {gate.max_sentence} for {audience}): “{sentence}”"
            )
    if stats.average > gate.max_average:
        message = f"average {stats.average:.1f} words a sentence (max {gate.max_average:g} for {audience})"
        if stats.maximum <= gate.max_sentence:  # else the long sentence is named above
            i = stats.words_per_sentence.index(stats.maximum)
            message += f"; longest sentence ({stats.maximum} words): “{stats.sentences[i]}”"
        problems.append(message)
    if stats.flesch_douma < gate.min_flesch_douma:
        # Name the sentence with the most syllables per word: usually the one to rewrite.
        ratios = [s / w for s, w in zip(stats.syllables_per_sentence, stats.words_per_sentence)]
        i = ratios.index(max(ratios))
        hard = f"; long words: {', '.join(stats.long_words)}" if stats.long_words else ""
        problems.append(
            f"Flesch-Douma {stats.flesch_douma:.1f} (min {gate.min_flesch_douma:g} for "
            f"{audience}); hardest sentence ({ratios[i]:.2f} syllables a word): "
            f"“{stats.sentences[i]}”{hard}"
        )
    return problems


def check(text: str, audience: str) -> list[str]:
    """Readable problems of ``text`` against the gate of ``audience``; empty = passes.

    Raises ValueError for an audience that is not in :data:`GATES`.
    """
    _gate(audience)
    return _problems(analyse(text), audience)


# --------------------------------------------------------------------------- domain


def _audience_of(variant: dict[str, Any]) -> str:
    for cond in variant.get("condition") or []:
        if (
            isinstance(cond, dict)
            and cond.get("type", "slot") == "slot"
            and cond.get("name") == "audience"
        ):
            return str(cond.get("value"))
    return DEFAULT_AUDIENCE


def _response_files(root: Path) -> list[Path]:
    files = [root / "domain.yml"] if (root / "domain.yml").is_file() else []
    data = root / "data"
    if data.is_dir():
        files += sorted(p for p in data.rglob("*") if p.suffix in {".yml", ".yaml"} and p.is_file())
    return files


def iter_domain_responses(root: Path) -> Iterator[tuple[str, int, str, str]]:
    """Yield ``(response_name, variant_index, audience, text)`` for every response
    variant with a text in ``root/domain.yml`` and in any YAML file under ``root/data``
    that has a top-level ``responses:`` key.

    The audience is the ``value`` of the variant's condition on slot ``audience``; a
    variant without one is shown to everybody and gets :data:`DEFAULT_AUDIENCE`.
    Variants without ``text`` (buttons only, custom payloads) are skipped.
    A file that is not valid YAML raises ValueError naming the file.
    """
    for path in _response_files(Path(root)):
        try:
            content = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ValueError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(content, dict) or not isinstance(content.get("responses"), dict):
            continue
        for name, variants in content["responses"].items():
            for index, variant in enumerate(variants or []):
                if isinstance(variant, dict) and isinstance(variant.get("text"), str):
                    yield str(name), index, _audience_of(variant), variant["text"]


@dataclass(frozen=True)
class Row:
    """One response variant with its measurements and problems."""

    response: str
    variant: int
    audience: str
    stats: TextStats
    problems: list[str]
    exempt: bool = False

    @property
    def passed(self) -> bool:
        return self.exempt or not self.problems

    @property
    def status(self) -> str:
        return "EXEMPT" if self.exempt else "PASS" if self.passed else "FAIL"


def lint(root: Path) -> list[Row]:
    """Check every response variant under ``root``; no domain yet gives an empty list."""
    rows: list[Row] = []
    for name, index, audience, text in iter_domain_responses(root):
        stats = analyse(text)
        if audience not in GATES:
            problems = [f"unknown audience {audience!r} in condition; expected {sorted(GATES)}"]
        else:
            problems = _problems(stats, audience)
        rows.append(Row(name, index, audience, stats, problems, name in EXEMPT_RESPONSES))
    return rows


_HEADERS = ("response", "audience", "sentences", "avg", "max", "Flesch-Douma", "long words", "result")


def _short_list(words: Sequence[str], limit: int = 3) -> str:
    """At most ``limit`` distinct words, then how many more (the problems list all)."""
    unique = list(dict.fromkeys(words))
    more = f" +{len(unique) - limit}" if len(unique) > limit else ""
    return ", ".join(unique[:limit]) + more if unique else "-"


def format_table(rows: Sequence[Row]) -> str:
    """A plain-text table: one line per response variant."""
    body = [
        (
            f"{r.response}[{r.variant}]",
            r.audience,
            str(len(r.stats.sentences)),
            f"{r.stats.average:.1f}",
            str(r.stats.maximum),
            "-" if r.stats.flesch_douma is None else f"{r.stats.flesch_douma:.1f}",
            _short_list(r.stats.long_words),
            r.status,
        )
        for r in rows
    ]
    widths = [max(len(c) for c in col) for col in zip(_HEADERS, *body)]
    numeric = {2, 3, 4, 5}
    lines = []
    for cells in (_HEADERS, tuple("-" * w for w in widths), *body):
        lines.append(
            "  ".join(
                c.rjust(w) if i in numeric else c.ljust(w)
                for i, (c, w) in enumerate(zip(cells, widths))
            ).rstrip()
        )
    return "\n".join(lines)


def format_problems(rows: Sequence[Row]) -> str:
    """The problems of every failing variant, one per line."""
    return "\n".join(
        f"FAIL {r.response}[{r.variant}] ({r.audience}): {p}"
        for r in rows
        if not r.passed
        for p in r.problems
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m bot.plain_language [--root DIR] [--fail]``: print the table."""
    parser = argparse.ArgumentParser(
        prog="python -m bot.plain_language",
        description="Check every response variant against the plain-language gate of its audience.",
    )
    parser.add_argument("--root", type=Path, default=Path("."), help="project root (default: .)")
    parser.add_argument("--fail", action="store_true", help="exit 1 when any variant fails")
    args = parser.parse_args(argv)
    rows = lint(args.root)
    if not rows:
        print(f"no response texts found under {args.root.resolve()}")
        return 0
    print(format_table(rows))
    failed = [r for r in rows if not r.passed]
    if failed:
        print()
        print(format_problems(rows))
    print(f"\n{len(rows) - len(failed)} of {len(rows)} variants pass.")
    return 1 if failed and args.fail else 0


if __name__ == "__main__":
    sys.exit(main())
