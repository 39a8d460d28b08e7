"""Contrast of the theme's colour pairs: a re-brand in clinic.yaml must stay readable.

The templates put each text colour on known backgrounds; this checks those pairs against
WCAG AA (4.5:1 for body text, 3:1 for large headings) so a clinic that picks a pale brand
colour hears about it when it builds, not from a reader.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

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


@functools.lru_cache(maxsize=1024)
def contrast(a: str | Colour, b: str | Colour) -> float:
    """WCAG 2 contrast ratio, 1 to 21: the one formula of the theme's check and lint's
    a11y/contrast."""
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def contrast_warnings(
    theme: Theme, path: Path, line: int | None, lines: Mapping[str, int] | None = None
) -> list[Problem]:
    """One warning per colour pair that readers with low vision would struggle with, at the
    line of clinic.yaml that sets one of its colours (`lines`: "theme.<name>" -> line)."""
    warnings = []
    for fg, bg, minimum in PAIRS:
        fg_colour, bg_colour = getattr(theme, fg), getattr(theme, bg)
        ratio = contrast(fg_colour, bg_colour)
        if ratio < minimum:
            warnings.append(
                Problem(
                    path,
                    theme_line(theme, lines or {}, fg, bg) or line,
                    f"theme: {fg} ({fg_colour}) on {bg} ({bg_colour}) has a contrast of "
                    f"{ratio:.1f}:1, below the {minimum:g}:1 that readers with low vision "
                    f"need; make one of them darker or lighter",
                    "warning",
                )
            )
    return warnings


# A re-brand names `primary` and `accent`; these follow them unless clinic.yaml sets them too.
DERIVED = {
    "primary": ("link", "heading", "dark_link"),
    "accent": ("dark_accent",),
}


def theme_line(theme: Theme, lines: Mapping[str, int], *colours: str) -> int | None:
    """The clinic.yaml line that sets one of `colours` (theme field names, or #RRGGBB values
    as the light-mode email shows them): a colour written there first, else the brand colour
    one follows (DERIVED); None if neither is."""
    names: list[str] = []
    for colour in colours:
        if not colour.startswith("#"):
            names.append(colour)
            continue
        names += [
            f.name
            for f in dataclasses.fields(theme)
            if not f.name.startswith("dark_")
            and str(getattr(theme, f.name)).upper() == colour.upper()
        ]
    for name in names:
        if f"theme.{name}" in lines:
            return lines[f"theme.{name}"]
    for name in names:
        for brand, dependents in DERIVED.items():
            if name in dependents and f"theme.{brand}" in lines:
                return lines[f"theme.{brand}"]
    return None


def derive_theme(theme: Theme, explicit: set[str]) -> Theme:
    """The theme with the colours that depend on a changed `primary`/`accent` derived from
    them (links and headlines in the brand colour, darkened or lightened until they read
    well), unless set in clinic.yaml. Unchanged brand colours keep every default."""
    defaults = Theme()
    changes: dict[str, Any] = {}
    for brand, dependents in DERIVED.items():
        colour = getattr(theme, brand)
        if brand not in explicit or colour.upper() == getattr(defaults, brand).upper():
            continue
        for name in dependents:
            if name in explicit:
                continue
            if name.startswith("dark_"):
                backs = [theme.dark_surface, theme.dark_panel, theme.dark_background]
                changes[name] = _readable(colour, backs, "#FFFFFF", BODY)
            elif name == "heading":
                dark = _mix(colour, "#000000", 0.35)
                changes[name] = _readable(dark, [theme.surface, theme.panel], "#000000", BODY)
            else:
                changes[name] = _readable(colour, [theme.surface, theme.panel], "#000000", BODY)
    return dataclasses.replace(theme, **changes) if changes else theme


def _readable(colour: str, backgrounds: list[str], toward: str, minimum: float) -> str:
    """`colour` mixed toward `toward` in small steps until it reads on every background."""
    for step in range(21):
        candidate = _mix(colour, toward, step / 20)
        if all(contrast(candidate, back) >= minimum for back in backgrounds):
            return candidate
    return toward


def _mix(colour: str, other: str, amount: float) -> str:
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * amount):02X}" for x, y in zip(a, b, strict=True))
