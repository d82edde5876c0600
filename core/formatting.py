"""How numbers read on screen: money, counts and changes, the same everywhere."""

from __future__ import annotations

import math


def format_usd(value: float | None) -> str:
    """``$36.0M``, ``$845K``, ``$1,250``, ``-$2.1M``; ``n/a`` for missing values."""
    if value is None or math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{sign}${magnitude / 1e9:.2f}B"
    if magnitude >= 999_500:  # what would round to $1000K reads as $1.00M
        return (
            f"{sign}${magnitude / 1e6:.1f}M"
            if magnitude >= 9_995_000
            else f"{sign}${magnitude / 1e6:.2f}M"
        )
    if magnitude >= 1e4:
        return f"{sign}${magnitude / 1e3:.0f}K"
    return f"{sign}${magnitude:,.0f}"


def format_count(value: float | None) -> str:
    """``12,480``; ``n/a`` for missing values."""
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value:,.0f}"


def format_change(change: float | None) -> str | None:
    """``+12.3%`` / ``-4.0%``; whole percents from 100% on (``+1,292%``); ``None`` when unknown."""
    if change is None or math.isnan(change) or math.isinf(change):
        return None
    if abs(change) >= 1:
        return f"{change * 100:+,.0f}%"
    return f"{change * 100:+.1f}%"


def format_day(day: object) -> str:
    """``23 Nov 2026`` (day month year: unambiguous in every locale)."""
    return f"{day.day} {day:%b %Y}"  # type: ignore[attr-defined]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 row``, ``2 rows``, ``1,204 rows``."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count:,} {word}"


_MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~=$:"


def escape_markdown(text: str) -> str:
    """Text from a file, safe to show where Streamlit renders Markdown (no links, no markup)."""
    return "".join("\\" + char if char in _MARKDOWN_SPECIAL else char for char in str(text))


def format_metric(value: float | None, unit: str, signed: bool = False) -> str:
    """A metric's value in its unit: money, a count, a percentage or months; ``n/a`` if unknown.

    ``signed`` writes a sign on every non-zero value (for differences).
    """
    if value is None or math.isnan(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if unit == "usd":
        return sign + format_usd(value)
    if unit == "count":
        return sign + format_count(value)
    if unit == "ratio":
        points = " pts" if signed else ""
        return f"{value * 100:+.1f}%{points}" if signed else f"{value * 100:.1f}%"
    if unit == "months":
        return f"{value:+.1f} months" if signed else f"{value:.1f} months"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"
