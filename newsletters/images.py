"""Images as inboxes that block them show them: real dimensions and styled alt text.

Outlook blocks images by default in many set-ups and draws a placeholder the size of the HTML
`width` and `height` attributes; MRML writes `height="auto"`, which gives the placeholder no
height. The alt text is drawn in the image's own font: MRML's `font-size:13px` in Times,
blue and underlined inside a link. After inlining, this stage writes each local image's real
height for its display width (CSS keeps `height:auto`, so browsers still scale it) and gives
the alt text the theme's font, size and colour; the logo's alt (the clinic's name) is bold.
"""

from __future__ import annotations

import contextlib
import functools
import html as htmllib
import io
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .model import Project

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r'\s([a-zA-Z-]+)="([^"]*)"')


class Unreadable(Exception):
    """Pillow cannot, or must not, decode this picture."""


@contextlib.contextmanager
def opened_image(source: str | IO[bytes], max_pixels: int = 0) -> Iterator[PILImage]:
    """Pillow's `Image.open`, with every way a hostile or broken file can fail as Unreadable:
    not an image, truncated, or more pixels than Pillow's bomb limit (its warning is made an
    error) or than `max_pixels` (when given), checked before anything is decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as image:
                if max_pixels and image.width * image.height > max_pixels:
                    raise Unreadable("too many pixels")
                yield image
    except (
        UnidentifiedImageError,
        OSError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise Unreadable(str(exc)) from exc


# What every main inbox shows (caniemail image-png/-jpg/-gif); SVG, WebP, AVIF, HEIC, TIFF and BMP
# are missing from Gmail, Outlook for Windows or both. Each format's signature, and the marker
# near its end when it is complete (a truncated upload shows as a broken image). Tools and
# cameras may append data after the marker: large trailers after a JPEG's, so it is not checked.
_SHOWN = {
    "PNG": (b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"),
    "JPEG": (b"\xff\xd8\xff", b""),
    "GIF": (b"GIF8", b""),
}
_TAIL = 65536
_NOT_SHOWN = {
    b"RIFF": "a WebP",
    b"<svg": "an SVG",
    b"<?xm": "an SVG",
    b"BM": "a BMP",
    b"II*\x00": "a TIFF",
    b"MM\x00*": "a TIFF",
}


def format_problem(path: Path) -> str | None:
    """Why inboxes would not show this local image file (its format, or a damaged file), as
    the end of a sentence about the image, or None. Reads only its first and last bytes."""
    try:
        stat = path.stat()
    except OSError:
        return None  # the caller's confinement check reports missing files
    return _format_problem(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _format_problem(path: str, mtime_ns: int, size: int) -> str | None:
    try:
        with open(path, "rb") as handle:
            head = handle.read(32)
            handle.seek(max(0, size - _TAIL))
            tail = handle.read(_TAIL)
    except OSError:
        return None
    for name, (signature, end) in _SHOWN.items():
        if head.startswith(signature):
            if end not in tail:
                return (
                    f"is a damaged {name} file (it ends early, as an interrupted download or "
                    "copy does); save or export it again"
                )
            return None
    kind = next((k for s, k in _NOT_SHOWN.items() if head.lstrip().startswith(s)), None)
    if kind is None and head[4:12] in (b"ftypavif", b"ftypheic", b"ftypheix", b"ftypmif1"):
        kind = "an AVIF or HEIC"
    if kind:
        return (
            f"is {kind} file, which Outlook for Windows or Gmail cannot show; save it as PNG "
            "or JPEG (the formats every inbox shows)"
        )
    return "is not a PNG, JPEG or GIF picture; save it as PNG or JPEG"


@functools.lru_cache(maxsize=256)
def _natural_size(path: str, mtime_ns: int, size: int) -> tuple[int, int] | None:
    from .confine import MAX_IMAGE_BYTES, Refused, read_bytes
    from .pixelcache import remembered

    try:
        data = read_bytes(Path(path), MAX_IMAGE_BYTES)
    except Refused:
        return _read_size(path)
    return remembered(
        "size", data, [], lambda: _read_size(io.BytesIO(data)), _size_json, _size_from_json
    )


def _read_size(source: str | IO[bytes]) -> tuple[int, int] | None:
    try:
        with opened_image(source) as image:  # reads the header only
            width, height = image.size
    except Unreadable:
        return None
    return (width, height) if width > 0 and height > 0 else None


def _size_json(size: tuple[int, int] | None) -> Any:
    return "unreadable" if size is None else list(size)


def _size_from_json(value: Any) -> tuple[int, int] | None:
    if value == "unreadable":
        return None
    width, height = value
    if not (isinstance(width, int) and isinstance(height, int) and width > 0 and height > 0):
        raise ValueError("not a kept size")
    return width, height


def natural_size(path: Path) -> tuple[int, int] | None:
    """(width, height) in pixels of an image file; None when it is not a readable image."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return _natural_size(str(path), stat.st_mtime_ns, stat.st_size)


def finish_images(
    html: str, project: Project, files: dict[str, Path], logo_urls: frozenset[str]
) -> str:
    """Real `height` attributes and alt-text style on every image the build has the file of.

    `files` maps an image's full URL to its file (content/ or the generated logo plate);
    `logo_urls` are the logo's addresses (light, plated and dark versions).
    """
    theme = project.clinic.theme
    family = theme.font_family.replace("'", "")
    alt_style = f"font-family:{family};font-size:16px;line-height:1.4;color:{theme.text};"
    logo_style = (
        f"font-family:{theme.heading_font_family.replace(chr(39), '')};font-size:20px;"
        f"line-height:1.3;font-weight:bold;color:{theme.heading};"
    )

    def one(match: re.Match[str]) -> str:
        tag = match.group(0)
        attrs = dict(_ATTR.findall(tag))
        src = htmllib.unescape(attrs.get("src", ""))
        is_logo = src in logo_urls
        width = attrs.get("width", "")
        path = files.get(src)
        size = natural_size(path) if path is not None else None
        if size is not None and width.isdigit():
            height = str(round(int(width) * size[1] / size[0]))
            if "height" in attrs:
                tag = re.sub(r'\sheight="[^"]*"', f' height="{height}"', tag, count=1)
            else:
                tag = tag[:-1].rstrip("/").rstrip() + f' height="{height}">'
        style = attrs.get("style", "")
        wanted = logo_style if is_logo else alt_style
        cleaned = re.sub(r"(?:^|;)\s*font-size\s*:\s*13px\s*(?=;|$)", "", style).strip(";")
        new_style = (cleaned + ";" if cleaned else "") + wanted
        if "style" in attrs:
            tag = tag.replace(f'style="{style}"', f'style="{new_style}"', 1)
        else:
            tag = tag[:-1].rstrip("/").rstrip() + f' style="{new_style}">'
        return tag

    return _IMG.sub(one, html)
