"""Reading time and the Flesch-Kincaid grade that the email, list, plan and lint share."""

from __future__ import annotations

import re

import pytest

from newsletters.readability import _as_prose, reading_grade, reading_minutes, syllable_count


def grade(text: str) -> float:
    return reading_grade(text)[0]


def test_reading_grade_matches_flesch_kincaid_by_hand() -> None:
    # 6 words, 1 sentence, 6 syllables: 0.39 * 6 + 11.8 * 1 - 15.59
    assert grade("The cat sat on the mat.") == pytest.approx(-1.45)
    # mi-graine is a neu-ro-lo-gi-cal con-di-tion: 5 words, 12 syllables
    assert grade("Migraine is a neurological condition.") == pytest.approx(
        0.39 * 5 + 11.8 * 12 / 5 - 15.59
    )
    # two sentences halve the words per sentence
    assert grade("The cat sat. The dog ran.") == pytest.approx(0.39 * 3 + 11.8 - 15.59)
    assert reading_grade("") == (0.0, None)


def test_harder_text_reads_at_a_higher_grade() -> None:
    easy = "Pain can last a long time. Rest helps. Ask us."
    hard = (
        "Neuropathic manifestations frequently accompany longstanding metabolic "
        "dysregulation, necessitating comprehensive multidisciplinary evaluation."
    )
    assert grade(hard) > 16 > 4 > grade(easy)


def test_syllables_of_common_words() -> None:
    counts = {w: syllable_count(w) for w in ("pain", "migraine", "condition", "the", "used")}
    assert counts == {"pain": 1, "migraine": 2, "condition": 3, "the": 1, "used": 1}


def test_list_items_and_headings_end_sentences_and_offsets_stay_put() -> None:
    source = "## Signs\n\n- Burning pain\n- Numbness\n\nSee [our page](https://x.example/)."
    prose = _as_prose(source)
    assert len(prose) == len(source)
    sentences = [
        re.sub(r" (?=[.!?])", "", " ".join(s.split())) for s in re.findall(r"[^.!?]*[.!?]", prose)
    ]
    assert [s for s in sentences if s.strip(" .")] == [
        "Signs.",
        "Burning pain.",
        "Numbness.",
        "See our page.",
    ]
    # a list is three short sentences, not one long one
    assert grade("- Burning pain\n- Numbness\n- Tingling in the feet\n") < 3


def test_the_hardest_sentence_is_located_in_the_source() -> None:
    source = "Rest helps.\n\nNeuropathic manifestations necessitate multidisciplinary evaluation.\n"
    _, span = reading_grade(source)
    assert span is not None
    assert source[span[0] : span[1]].startswith("Neuropathic manifestations")


def test_reading_minutes_rounds_like_the_email() -> None:
    assert reading_minutes("word " * 10) == 1
    assert reading_minutes("word " * 500) == 2
    assert reading_minutes("word " * 700) == 4
