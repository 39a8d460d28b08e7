"""Contrast of the theme's colour pairs: a re-brand in clinic.yaml must stay readable.

The templates put each text colour on known backgrounds; this checks those pairs against
WCAG AA (4.5:1 for body text, 3:1 for large headings) so a clinic that picks a pale brand
colour hears about it when it builds, not from a reader.
"""

from __future__ import annotations

from pathlib import Path

from .errors import Problem
from .model import Theme

BODY = 4.5
LARGE = 3.0

# (text colour, background colour, minimum ratio): where the templates put them.
PAIRS: tuple[tuple[str, str, float], ...] = (
    ("text", "surface", BODY),
    ("text", "panel", BODY),
    ("heading", "surface", LARGE),
    ("heading", "panel", LARGE),
    ("muted", "surface", BODY),
    ("muted", "background", BODY),
    ("link", "surface", BODY),
    ("link", "panel", BODY),
    ("accent", "surface", BODY),
    ("accent", "panel", BODY),
    ("accent_text", "accent", BODY),
    ("accent", "accent_text", BODY),
    ("button_text", "primary", BODY),
    ("dark_text", "dark_surface", BODY),
    ("dark_text", "dark_panel", BODY),
    ("dark_muted", "dark_surface", BODY),
    ("dark_muted", "dark_background", BODY),
    ("dark_link", "dark_surface", BODY),
    ("dark_link", "dark_panel", BODY),
    ("dark_link", "dark_background", BODY),
    ("dark_accent", "dark_surface", BODY),
    ("dark_accent", "dark_panel", BODY),
)


Colour = tuple[int, int, int]  # red, green, blue: 0-255


def rgb(colour: str | Colour) -> Colour:
    """#RRGGBB (as clinic.yaml's theme writes it) as (red, green, blue)."""
    if isinstance(colour, tuple):
        return colour
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return (r, g, b)


def luminance(colour: str | Colour) -> float:
    """WCAG 2 relative luminance, with the sRGB threshold 0.04045 (WCAG 2.0 printed 0.03928;
    the two differ for no 8-bit channel value but the definition is sRGB's)."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = rgb(colour)
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str | Colour, b: str | Colour) -> float:
    """WCAG 2 contrast ratio, 1 to 21: the one formula of the theme's check and lint's
    a11y/contrast."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def contrast_warnings(theme: Theme, path: Path, line: int | None) -> list[Problem]:
    """One warning per colour pair that readers with low vision would struggle with."""
    warnings = []
    for fg, bg, minimum in PAIRS:
        fg_colour, bg_colour = getattr(theme, fg), getattr(theme, bg)
        ratio = contrast(fg_colour, bg_colour)
        if ratio < minimum:
            warnings.append(
                Problem(
                    path,
                    line,
                    f"theme: {fg} ({fg_colour}) on {bg} ({bg_colour}) has a contrast of "
                    f"{ratio:.1f}:1, below the {minimum:g}:1 that readers with low vision "
                    f"need; make one of them darker or lighter",
                    "warning",
                )
            )
    return warnings
