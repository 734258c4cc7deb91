"""Tests for bot.plain_language: numbers checked by hand on known Dutch texts."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.plain_language import (
    GATES,
    analyse,
    check,
    flesch_douma,
    format_table,
    iter_domain_responses,
    lint,
    main,
    prepare,
    syllables,
)

# A2 text (one idea per sentence). Hand count, syllables as pyphen nl_NL splits them:
#   Je hebt een brief ge-kre-gen.            5 words  7 syllables
#   In de brief staat een be-sluit.          6 words  7 syllables
#   Ben je het er niet mee eens?             7 words  7 syllables
#   Dan kun je be-zwaar ma-ken.              5 words  7 syllables
#   Dat doe je bin-nen zes we-ken.           6 words  8 syllables
#   Wil je hulp?                             3 words  3 syllables
#   Bel de ge-meen-te.                       3 words  5 syllables
#                                           35 words 44 syllables, 7 sentences
SIMPLE_TEXT = (
    "Je hebt een brief gekregen. In de brief staat een besluit. "
    "Ben je het er niet mee eens? Dan kun je bezwaar maken. "
    "Dat doe je binnen zes weken. Wil je hulp? Bel de gemeente."
)

BUREAUCRATIC = (
    "Indien de belanghebbende zich niet kan verenigen met de beschikking van het college "
    "van burgemeester en wethouders, kan hij binnen de termijn van zes weken na de dag van "
    "bekendmaking een gemotiveerd bezwaarschrift indienen bij het bestuursorgaan dat de "
    "beschikking heeft genomen."
)


def test_syllables_follow_dutch_hyphenation() -> None:
    assert syllables("gemeente") == 3  # ge-meen-te
    assert syllables("bezwaarschrift") == 3  # be-zwaar-schrift
    assert syllables("indicatiebesluit") == 6  # in-di-ca-tie-be-sluit
    assert syllables("18-jarige") == 4  # 18 + ja-ri-ge
    assert syllables("2026") == 1


def test_simple_a2_text_passes_with_hand_checked_numbers() -> None:
    stats = analyse(SIMPLE_TEXT)
    assert len(stats.sentences) == 7
    assert stats.sentences[2] == "Ben je het er niet mee eens?"
    assert stats.words_per_sentence == [5, 6, 7, 5, 6, 3, 3]
    assert stats.words == 35 and stats.syllables == 44
    assert stats.average == pytest.approx(5.0)
    assert stats.maximum == 7
    assert stats.syllables_per_word == pytest.approx(44 / 35)
    # 206.835 - 0.93 * 35/7 - 77 * 44/35 = 206.835 - 4.65 - 96.8 = 105.385
    assert stats.flesch_douma == pytest.approx(105.385)
    assert stats.long_words == []
    assert check(SIMPLE_TEXT, "simple") == []
    assert check(SIMPLE_TEXT, "parent") == []


def test_flesch_douma_by_hand() -> None:
    # "Bel de gemeente.": 1 sentence, 3 words, 1 + 1 + 3 = 5 syllables.
    # 206.835 - 0.93 * 3 - 77 * 5/3 = 206.835 - 2.79 - 128.3333 = 75.7117
    stats = analyse("Bel de gemeente.")
    assert (stats.words, stats.syllables, len(stats.sentences)) == (3, 5, 1)
    assert stats.flesch_douma == pytest.approx(75.711667, abs=1e-4)
    assert flesch_douma(words=3, sentences=1, syllable_count=5) == pytest.approx(75.711667, abs=1e-4)


def test_bureaucratic_sentence_fails_both_gates_and_is_named() -> None:
    stats = analyse(BUREAUCRATIC)
    assert stats.maximum == 42 and len(stats.sentences) == 1
    assert stats.flesch_douma is not None and stats.flesch_douma < 30
    assert "belanghebbende" in stats.long_words and "bestuursorgaan" in stats.long_words
    for audience in ("simple", "parent"):
        problems = check(BUREAUCRATIC, audience)
        assert len(problems) == 3  # too long, average too high, Flesch-Douma too low
        assert "sentence of 42 words" in problems[0]
        assert "Indien de belanghebbende zich niet kan verenigen" in problems[0]
        assert "Flesch-Douma" in problems[2] and "Indien de belanghebbende" in problems[2]
    assert check(BUREAUCRATIC, "professional") == []  # reported only, never gated


def test_long_sentence_in_a_parent_text_is_named() -> None:
    text = (
        "Je kunt gratis hulp krijgen. "
        "Een cliëntondersteuner gaat met je mee naar het gesprek met de gemeente en helpt je "
        "om goed te vertellen wat je kind elke dag nodig heeft. "
        "Vraag het aan de gemeente."
    )
    problems = check(text, "parent")
    assert len(problems) == 1
    assert "sentence of 26 words (max 22 for parent)" in problems[0]
    assert "Een cliëntondersteuner gaat met je mee" in problems[0]
    assert analyse(text).long_words == []  # cliëntondersteuner is allowed


def test_unknown_audience_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown audience"):
        check("Hallo.", "kind")
    assert set(GATES) == {"simple", "parent", "professional"}


def test_list_lines_and_lines_without_punctuation_are_sentences() -> None:
    text = "Neem mee:\n- je paspoort\n* je brieven\n1. Bel de gemeente\n2) Maak een afspraak\nSucces"
    assert prepare(text) == (
        "Neem mee.\nje paspoort.\nje brieven.\nBel de gemeente.\nMaak een afspraak.\nSucces."
    )
    stats = analyse(text)
    assert stats.sentences[0] == "Neem mee."
    assert stats.words_per_sentence == [2, 2, 2, 3, 3, 1]


def test_markdown_is_dropped_and_link_text_kept() -> None:
    text = "## Let op\n**Lees** de brief _goed_. Kijk [hier](https://www.regelhulp.nl/bezwaar)."
    assert prepare(text) == "Let op.\nLees de brief goed. Kijk hier."
    assert analyse(text).words_per_sentence == [2, 4, 2]


def test_placeholders_urls_mails_and_phone_numbers_are_one_word() -> None:
    text = (
        "Bel {municipality_phone} of kijk op https://www.hetjuisteloket.nl/contact. "
        "Mail naar info@gemeente.nl of bel 0800-2000. Of bel 020 123 4567 of 06-12345678."
    )
    prepared = prepare(text)
    assert prepared == (
        "Bel «slot» of kijk op «link». Mail naar «mail» of bel «nummer». "
        "Of bel «nummer» of «nummer»."
    )
    stats = analyse(text)
    assert stats.words_per_sentence == [6, 6, 5]
    # 17 words; every stand-in is one syllable except «nummer» (num-mer): 17 + 3 = 20.
    assert stats.syllables == 20
    # A date is not a phone number.
    assert prepare("Doe het voor 01-02-2026.") == "Doe het voor 01-02-2026."


def test_empty_text_has_no_sentences_and_passes() -> None:
    stats = analyse("  \n ")
    assert stats.sentences == [] and stats.flesch_douma is None
    assert check("", "simple") == []


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    _write(
        tmp_path / "domain.yml",
        """\
        version: "3.1"
        slots:
          audience:
            type: categorical
            values: [parent, simple, professional]
        responses:
          utter_bezwaar:
          - text: "Ben je het niet eens met het besluit? Dan kun je bezwaar maken."
          - text: "Ben je het niet eens? Dan kun je bezwaar maken."
            condition:
            - type: slot
              name: audience
              value: simple
          - text: "Bezwaar binnen zes weken na bekendmaking (art. 6:7 en 6:8 Awb)."
            condition:
            - type: slot
              name: audience
              value: professional
          utter_buttons_only:
          - buttons:
            - title: "Ja"
              payload: /affirm
        """,
    )
    _write(
        tmp_path / "data" / "responses" / "extra.yml",
        f"""\
        version: "3.1"
        responses:
          utter_lang:
          - text: "{BUREAUCRATIC}"
            condition:
            - type: slot
              name: audience
              value: simple
          - text: "Hallo."
            condition:
            - type: slot
              name: language
              value: nl
            - type: slot
              name: audience
              value: kind
        """,
    )
    _write(
        tmp_path / "data" / "nlu" / "nlu.yml",
        """\
        version: "3.1"
        nlu:
        - intent: greet
          examples: |
            - hallo
        """,
    )
    return tmp_path


def test_iter_domain_responses_maps_conditions_to_audiences(project: Path) -> None:
    found = [(n, i, a) for n, i, a, _ in iter_domain_responses(project)]
    assert found == [
        ("utter_bezwaar", 0, "parent"),  # no condition: shown to everybody, parent gate
        ("utter_bezwaar", 1, "simple"),
        ("utter_bezwaar", 2, "professional"),
        ("utter_lang", 0, "simple"),  # from data/, with a top-level responses: key
        ("utter_lang", 1, "kind"),  # other slot conditions are ignored
    ]


def test_lint_table_and_exit_code(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = lint(project)
    assert [r.status for r in rows] == ["PASS", "PASS", "PASS", "FAIL", "FAIL"]
    assert "unknown audience 'kind'" in rows[4].problems[0]
    table = format_table(rows)
    lines = table.splitlines()
    assert lines[0].split() == [
        "response", "audience", "sentences", "avg", "max", "Flesch-Douma", "long", "words", "result"
    ]
    assert lines[5].startswith("utter_lang[0]") and lines[5].endswith("FAIL")
    assert "belanghebbende" in lines[5]

    assert main(["--root", str(project)]) == 0
    assert main(["--root", str(project), "--fail"]) == 1
    out = capsys.readouterr().out
    assert "FAIL utter_lang[0] (simple): sentence of 42 words" in out
    assert "3 of 5 variants pass." in out


def test_lint_without_a_domain_is_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert lint(tmp_path) == []
    assert main(["--root", str(tmp_path), "--fail"]) == 0
    assert "no response texts found" in capsys.readouterr().out


def test_invalid_yaml_names_the_file(tmp_path: Path) -> None:
    _write(tmp_path / "data" / "broken.yml", "responses: [unclosed\n")
    with pytest.raises(ValueError, match="broken.yml"):
        lint(tmp_path)
