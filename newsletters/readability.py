"""How long and how hard an article is to read: the one definition the email, `list`, `plan`
and `lint` share.

Flesch-Kincaid grade = 0.39 x words per sentence + 11.8 x syllables per word - 15.59 (a US
school grade; health writing for the public should aim at 8 or below).
"""

from __future__ import annotations

import re
from functools import lru_cache

from .memo import remembered

WORDS_PER_MINUTE = 200

_URL = re.compile(r"\b(?:https?://|mailto:|tel:)[^\s)\]>]*[^\s)\]>.,;:!?]")
_BLOCK_START = re.compile(r"^[ \t]{0,3}(?:#{1,6}|>|[-*+]|\d+[.)])[ \t]+")
_INLINE_MARKUP = re.compile(r"[*_`\[\]()]")
_SENTENCE = re.compile(r"[^.!?]+(?:[.!?]+|$)")
_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_VOWELS = re.compile(r"[aeiouy]+")
_SILENT_END = re.compile(r"(?:[^laeiouy]es|ed|[^laeiouy]e)$")


@remembered()
def reading_minutes(markdown: str) -> int:
    """Minutes to read a text, rounded, at least one (remembered: a rebuild reads only the
    article that changed)."""
    return max(1, round(len(re.findall(r"\w+", markdown)) / WORDS_PER_MINUTE))


@lru_cache(maxsize=8192)
def syllable_count(word: str) -> int:
    """Vowel groups, less a silent final e: the usual estimate, within one syllable."""
    word = word.lower().strip("'’")
    if len(word) <= 3:
        return 1
    word = _SILENT_END.sub("", word).removeprefix("y")
    return max(1, len(_VOWELS.findall(word)))


def _as_prose(markdown: str) -> str:
    """Markdown as sentences, every character kept in place so offsets point into the source.

    URLs and markup become spaces; a heading or list item without an end mark ends a sentence
    (its newline becomes a full stop), as does a blank line between paragraphs.
    """
    text = _URL.sub(lambda m: " " * len(m.group()), markdown)
    out = []
    for line in text.split("\n"):
        end = "\n"
        start = _BLOCK_START.match(line)
        if start:
            rest = line[start.end() :]
            if rest.strip() and not re.search(r"[.!?:;]\s*$", rest):
                end = "."
            line = " " * start.end() + rest
        out.append(_INLINE_MARKUP.sub(" ", line) + end)
    prose = "".join(out)[: len(markdown)]
    return re.sub(r"\n[ \t]*\n", lambda m: "." + m.group()[1:], prose)


@remembered()
def reading_grade(markdown: str) -> tuple[float, tuple[int, int] | None]:
    """Flesch-Kincaid grade of a Markdown text, and the span of its hardest sentence
    (remembered: a rebuild reads only the article that changed)."""
    text = _as_prose(markdown)
    total_words = total_syllables = count = 0
    hardest: tuple[int, int] | None = None
    worst = -1.0
    for match in _SENTENCE.finditer(text):
        words = _WORD.findall(match.group())
        if not words:
            continue
        syllables = sum(syllable_count(w) for w in words)
        count += 1
        total_words += len(words)
        total_syllables += syllables
        score = 0.39 * len(words) + 11.8 * syllables / len(words)
        if score > worst:
            worst = score
            start = match.start() + len(match.group()) - len(match.group().lstrip())
            hardest = (start, match.end())
    if not count:
        return 0.0, None
    grade = 0.39 * total_words / count + 11.8 * total_syllables / total_words - 15.59
    return grade, hardest
