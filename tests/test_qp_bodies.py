"""Each reader's body, encoded from pieces worked out once per issue, is byte for byte the
whole body encoded at once: on generated bodies full of what quoted-printable treats
specially (long lines, trailing spaces, lone dots, '=', non-ASCII, CR and LF in every
arrangement) and on values that are empty, long, spaced or hold line breaks."""

from __future__ import annotations

import random

import pytest

from newsletters import merge
from newsletters.delivery.qp import Body, quoted_printable

FIRST, UNSUBSCRIBE = merge.placeholder("first_name"), merge.placeholder("unsubscribe_url")
ATOMS = ["a", "word ", " ", "\t", ".", "=", "é", "😀", "<p>", "\n", "\r\n", "\r",
         FIRST, UNSUBSCRIBE]  # fmt: skip
WEIGHTS = [8, 6, 3, 1, 2, 1, 1, 1, 2, 3, 3, 1, 1, 1]
VALUES = ["", "Ann", " ", "Zoë ", ".", "x" * 90, "a = b\t", "line\nbreak", "cr\r", "<&>"]


def generated_body(rng: random.Random) -> str:
    weights = [*WEIGHTS[:11], int(rng.random() < 0.1), *WEIGHTS[12:]]  # a lone CR, sometimes
    atoms = rng.choices(ATOMS, weights=weights, k=rng.randrange(0, 120))
    if rng.random() < 0.3:  # a long line, to make soft line breaks
        atoms.insert(rng.randrange(len(atoms) + 1), "y" * rng.randrange(60, 200))
    return "".join(atoms)


@pytest.mark.parametrize("escape", [False, True])
def test_pieces_give_the_bytes_of_the_whole_body(escape: bool) -> None:
    rng = random.Random(18)
    shortcuts = 0
    for _ in range(4000):
        template = generated_body(rng)
        body = Body.of(template, escape=escape)
        for _ in range(3):
            values = {"first_name": rng.choice(VALUES), "unsubscribe_url": rng.choice(VALUES)}
            shortcuts += body.pieces is not None and not any(
                c in v for v in values.values() for c in "\r\n"
            )
            whole = quoted_printable(merge.substitute(template, values, escape=escape))
            assert body.fill(values) == whole, (template, values)
    assert shortcuts > 6000  # most of them take the shortcut: it is what is tested


def test_a_real_issue_body_takes_the_shortcut_and_encodes_little_per_reader() -> None:
    lines = [
        f'<td style="padding:0 24px">Paragraph {n} of the issue, long enough to wrap past '
        f"the 76 columns of quoted-printable = {'x' * n}</td>"
        for n in range(300)
    ]
    lines[150] = f'<a href="{UNSUBSCRIBE}">Unsubscribe</a> Hello {FIRST}, '
    template = "\n".join(lines) + "\n"
    body = Body.of(template, escape=True)
    assert body.pieces is not None and sum(isinstance(p, str) for p in body.pieces) == 1
    values = {"first_name": "Zoë & Ann", "unsubscribe_url": "https://x.example/u?t=1&a=2"}
    assert body.fill(values) == quoted_printable(merge.substitute(template, values, escape=True))


def test_a_missing_value_is_still_an_error() -> None:
    body = Body.of(f"Hello\n{FIRST}\nbye", escape=False)
    with pytest.raises(KeyError, match="first_name"):
        body.fill({"unsubscribe_url": "u"})
