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


def luminance(colour: str) -> float:
    """WCAG relative luminance of #RRGGBB."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
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
