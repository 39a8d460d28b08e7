"""Pillow's answers about an image file, kept per user and keyed by the file's bytes.

A cold build of an issue asks Pillow the same questions every time: each local image's size
(Outlook's placeholder height) and how the logo looks on forced-dark canvases (a pure-Python
pass over its pixels, twice: the plate and the inbox/logo-dark check). Importing Pillow and
answering costs more than the MJML compile. Each answer is stored in the per-user cache
(usercache.py) under the SHA-256 of the image's bytes, the question's own parameters,
Pillow's version and the SHA-256 of the code that computes it (images.py, logo.py,
theme.py), so an answer can never outlive the file, the library or the code it came from.
Nothing here is needed for correctness: without a cache, Pillow answers as before.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .memo import Memo

KIND = "pixel-facts"
_CODE = ("images.py", "logo.py", "theme.py")  # what computes the answers kept here
T = TypeVar("T")


@functools.cache
def _code_key() -> list[str] | None:
    """Pillow's version and the hash of the code that asks it; None if the code is not
    readable as files (then nothing is kept)."""
    import PIL  # the package only (its version), not PIL.Image

    digest = hashlib.sha256()
    here = Path(__file__).parent
    try:
        for name in _CODE:
            digest.update((here / name).read_bytes())
    except OSError:
        return None
    return [str(PIL.__version__), digest.hexdigest()]


def remembered(
    question: str,
    data: bytes,
    parameters: list[Any],
    answer: Callable[[], T],
    to_json: Callable[[T], Any],
    from_json: Callable[[Any], T],
) -> T:
    """answer(), or the answer kept for exactly these bytes, parameters, library and code.

    `from_json` raises (ValueError, TypeError, KeyError) on a value it does not recognise;
    such an entry is answered again and replaced."""
    code = _code_key()
    if code is None:
        return answer()
    digest = hashlib.sha256(data).hexdigest()
    key = [question, digest, parameters, code]
    # The answers are immutable (tuples, frozen dataclasses): a process asks its memory first
    # (the preview rebuilds on every save), then the per-user cache.
    found: T = _answers.get(
        (question, digest, repr(parameters)),
        0,
        functools.partial(_stored_or_answered, key, answer, to_json, from_json),
    )
    return found


_answers: Memo[tuple[str, str, str], Any] = Memo(max_entries=256)


def _stored_or_answered(
    key: list[Any],
    answer: Callable[[], T],
    to_json: Callable[[T], Any],
    from_json: Callable[[Any], T],
) -> T:
    from . import usercache

    stored = usercache.load_json(KIND, key)
    if stored is not None:
        try:
            return from_json(stored)
        except (ValueError, TypeError, KeyError):
            pass
    result = answer()
    usercache.store_json(KIND, key, to_json(result))
    return result
