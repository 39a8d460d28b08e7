"""The logo under forced dark: measured from its pixels, and given a light plate when it needs one.

Gmail's apps, Outlook for Windows and Yahoo's apps recolour an email's background to dark but
never its images, and they ignore `prefers-color-scheme`, so the `dark_src` swap never runs
there. A transparent logo drawn in dark ink then sits on a dark canvas at 2-3:1. Only pixels
inside the image help: the build flattens such a logo onto a plate of the email's surface
colour (invisible in light mode, a light badge in forced dark) and the email shows that file.

Pillow is imported here only: a build without a local logo never loads it, and neither does
one whose logo was measured before (pixelcache.py keeps the answers by the file's bytes).
"""

from __future__ import annotations

import collections
import functools
import hashlib
import io
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .theme import contrast, luminance

if TYPE_CHECKING:
    from .model import Project

MINIMUM = 3.0  # WCAG 1.4.11: graphical objects needed to understand the content
# Canvases of the forced-dark clients: Gmail apps (Material #121212), Outlook for Windows and
# Outlook.com (#1F1F1F, #292929), pure black (iOS Gmail, OLED settings). The theme's own
# dark background is added by the caller.
DARK_CANVASES = ("#000000", "#121212", "#1F1F1F", "#292929")
_MAX_PIXELS = 4096 * 4096  # a logo larger than this is not decoded (memory, time)
_INK_ALPHA = 128  # a pixel at least half opaque is part of the drawing


@dataclass(frozen=True)
class Measure:
    """A logo's contrast against the darkest-looking canvas it may sit on."""

    ratio: float
    canvas: str
    transparent: bool


@dataclass(frozen=True)
class Plate:
    """A generated logo file: where the email links it (`ref`), its bytes and display width."""

    ref: str
    data: bytes
    width: int  # display width in pixels, the plate's margin included
    path: Path  # a per-user cache file holding `data`, for the stages that copy files


def measure(data: bytes, canvases: tuple[str, ...] = DARK_CANVASES) -> Measure | None:
    """The median contrast of the logo's ink against each dark canvas; the worst canvas wins.

    A fully opaque image carries its own background: its outer ring of pixels is what meets
    the canvas. None when the bytes are not an image Pillow can read. Kept per user for
    these bytes (pixelcache.py): a cold build of an unchanged logo does not load Pillow.
    """
    from .pixelcache import remembered

    return remembered(
        "logo-measure", data, list(canvases), lambda: _measured(data, canvases),
        _measure_json, _measure_from_json,
    )  # fmt: skip


def _measure_json(found: Measure | None) -> Any:
    return "unreadable" if found is None else [found.ratio, found.canvas, found.transparent]


def _measure_from_json(value: Any) -> Measure | None:
    if value == "unreadable":
        return None
    ratio, canvas, transparent = value
    if not (isinstance(ratio, float | int) and isinstance(canvas, str)
            and isinstance(transparent, bool)):  # fmt: skip
        raise TypeError("not a kept measure")
    return Measure(ratio, canvas, transparent)


def _measured(data: bytes, canvases: tuple[str, ...]) -> Measure | None:
    from .images import Unreadable, opened_image

    try:
        with opened_image(io.BytesIO(data), max_pixels=_MAX_PIXELS) as opened:
            image = opened.convert("RGBA")
    except Unreadable:
        return None
    image.thumbnail((240, 240))  # enough pixels for a median, quick for any file
    width, height = image.size
    raw = image.tobytes()
    pixels = [(raw[i], raw[i + 1], raw[i + 2], raw[i + 3]) for i in range(0, len(raw), 4)]
    transparent = any(a < 250 for _, _, _, a in pixels)
    if transparent:
        ink = [p for p in pixels if p[3] >= _INK_ALPHA]
    else:
        ring = {(x, 0) for x in range(width)} | {(x, height - 1) for x in range(width)}
        ring |= {(0, y) for y in range(height)} | {(width - 1, y) for y in range(height)}
        ink = [pixels[y * width + x] for x, y in sorted(ring)]
    if not ink:
        return Measure(1.0, canvases[0], transparent)
    colours = collections.Counter(ink)  # a logo has few distinct colours: measure each once
    middle = len(ink) // 2
    worst: Measure | None = None
    for canvas in canvases:
        back = hex_to_rgb(canvas)
        ranked = sorted((_contrast(_over(p, back), canvas), n) for p, n in colours.items())
        ratio, seen = ranked[-1][0], 0
        for value, count in ranked:
            seen += count
            if seen > middle:  # the median pixel
                ratio = value
                break
        if worst is None or ratio < worst.ratio:
            worst = Measure(round(ratio, 2), canvas, transparent)
    return worst


@functools.lru_cache(maxsize=8192)
def _contrast(rgb: tuple[int, int, int], canvas: str) -> float:
    """theme.contrast of a pixel on a canvas (logos have few distinct colours: cached)."""
    return contrast("#{:02X}{:02X}{:02X}".format(*rgb), canvas)


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _over(pixel: tuple[int, int, int, int], back: tuple[int, int, int]) -> tuple[int, int, int]:
    r, g, b, a = pixel
    return (
        (r * a + back[0] * (255 - a)) // 255,
        (g * a + back[1] * (255 - a)) // 255,
        (b * a + back[2] * (255 - a)) // 255,
    )


def plate_ref(ref: str) -> str:
    """images/logo.png -> images/logo.plate.png: the generated file sits next to the logo."""
    stem, dot, _ = ref.rpartition(".")
    return f"{stem if dot else ref}.plate.png"


def make_plate(
    source: Path, ref: str, surface: str, display_width: int, dark_background: str
) -> Plate | None:
    """The logo on a plate of `surface`, when it is transparent and fails 3:1 in forced dark.

    `source` has been confined to content/ by the caller; it is read as a regular file of
    bounded size (never a FIFO or a huge file)."""
    from .confine import MAX_IMAGE_BYTES, Refused, read_bytes

    try:
        data = read_bytes(source, MAX_IMAGE_BYTES)
    except Refused:
        return None
    return _plate(data, ref, surface, display_width, dark_background)


@functools.lru_cache(maxsize=16)
def _plate(
    data: bytes, ref: str, surface: str, display_width: int, dark_background: str
) -> Plate | None:
    found = measure(data, (*DARK_CANVASES, dark_background))
    if found is None or not found.transparent or found.ratio >= MINIMUM:
        return None
    from .pixelcache import remembered

    drawn = remembered(
        "logo-plate", data, [surface, display_width], lambda: _drawn(data, surface, display_width),
        _plate_json, _plate_from_json,
    )  # fmt: skip
    if drawn is None:  # measured above, so only a file changed meanwhile gets here
        return None
    png, width = drawn
    return Plate(plate_ref(ref), png, width, _cached(png))


def _drawn(data: bytes, surface: str, display_width: int) -> tuple[bytes, int] | None:
    """The plate's PNG bytes and its display width, or None for an unreadable file."""
    from PIL import Image, ImageDraw

    from .images import Unreadable, opened_image

    try:
        with opened_image(io.BytesIO(data), max_pixels=_MAX_PIXELS) as opened:
            logo = opened.convert("RGBA")
    except Unreadable:
        return None
    colour = surface if luminance(surface) > 0.5 else "#FFFFFF"
    # From the shorter side: a tall or square logo's height would make a margin wider than
    # the logo, and the email would show the plate several times the width clinic.yaml asks.
    margin = max(4, round(min(logo.width, logo.height) * 0.12))
    size = (logo.width + 2 * margin, logo.height + 2 * margin)
    plate = Image.new("RGBA", size, (0, 0, 0, 0))
    ImageDraw.Draw(plate).rounded_rectangle(
        (0, 0, size[0] - 1, size[1] - 1), radius=margin, fill=(*hex_to_rgb(colour), 255)
    )
    plate.alpha_composite(logo, (margin, margin))
    out = io.BytesIO()
    # No metadata, fixed compression: the same logo gives the same bytes on every machine.
    plate.save(out, format="PNG", optimize=False, compress_level=9)
    return out.getvalue(), round(display_width * size[0] / logo.width)


def _plate_json(drawn: tuple[bytes, int] | None) -> Any:
    """A drawn plate is kept as its file in plates_folder(), named by its SHA-256."""
    if drawn is None:
        return "unreadable"
    png, width = drawn
    return {"png": _cached(png).stem, "width": width}


def _plate_from_json(value: Any) -> tuple[bytes, int] | None:
    if value == "unreadable":
        return None
    digest, width = value["png"], value["width"]
    if not (isinstance(digest, str) and isinstance(width, int)):
        raise TypeError("not a kept plate")
    try:
        png = (plates_folder() / f"{digest}.png").read_bytes()
    except OSError:
        raise ValueError("the plate's file is gone") from None
    if hashlib.sha256(png).hexdigest() != digest:
        raise ValueError("the plate's file changed")
    return png, width


def _cached(png: bytes) -> Path:
    """The plate as a file named after its content, in a per-user folder (mode 0700)."""
    path = plates_folder() / (hashlib.sha256(png).hexdigest() + ".png")
    try:
        if path.read_bytes() == png:
            return path
    except OSError:
        pass
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    partial.write_bytes(png)
    os.replace(partial, path)
    return path


@functools.cache
def plates_folder() -> Path:
    """The per-user folder of generated plates. A folder of that name that another user made
    (or opened to others) in the shared temp folder is not trusted: they could swap a plate
    for their own picture; a private folder of this process is used instead."""
    user = os.getuid() if hasattr(os, "getuid") else "user"
    folder = Path(tempfile.gettempdir()) / f"newsletters-plates-{user}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
        private = stat.S_ISDIR(info.st_mode) and not info.st_mode & 0o077
        if private and (not hasattr(os, "getuid") or info.st_uid == os.getuid()):
            return folder
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="newsletters-plates-"))


def is_plate(path: Path) -> bool:
    """Whether `path` is a plate this program generated (the preview serves those too)."""
    return path.parent == plates_folder()


def project_plate(project: Project) -> Plate | None:
    """The plate of the clinic's own logo file (None for a remote or already safe logo, or a
    logo path that is not a file inside content/: load reports that one)."""
    from .confine import Refused, content_file

    clinic = project.clinic
    logo = clinic.logo
    if logo is None or logo.src.startswith("https://"):
        return None
    try:
        source = content_file(project.content_dir, logo.src)
    except Refused:
        return None
    theme = clinic.theme
    return make_plate(source, logo.src, theme.surface, logo.width, theme.dark_background)
