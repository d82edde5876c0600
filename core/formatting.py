"""How numbers read on screen: money, counts and changes, the same everywhere.

Money is in the store's reporting currency (the ``currency`` setting; the ``*_usd`` columns hold
it whatever it is, the names are historical), so every money formatter takes the ISO 4217 code
and writes its symbol: ``format_money(845_300, "EUR")`` is ``€845K``. Codes without a symbol of
their own here are written as the code and a space (``ZAR 845K``), which no reader misreads.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from types import MappingProxyType

DEFAULT_CURRENCY = "USD"  # what a store that was never set up reports in (core.company)

# Symbols a reader of that currency expects before the number. Dollars other than the US one
# carry their country ("A$"), as in the Economist's style; a code written as letters keeps a
# space ("CHF 1,250"). Every other code is written the same way: "ZAR 1,250".
CURRENCY_SYMBOLS = MappingProxyType(
    {
        "USD": "$",
        "EUR": "€",
        "GBP": "£",
        "JPY": "¥",
        "CNY": "CN¥",
        "INR": "₹",
        "KRW": "₩",
        "ILS": "₪",
        "AUD": "A$",
        "CAD": "C$",
        "NZD": "NZ$",
        "SGD": "S$",
        "HKD": "HK$",
        "MXN": "MX$",
        "BRL": "R$",
        "CHF": "CHF ",
        "SEK": "SEK ",
        "NOK": "NOK ",
        "DKK": "DKK ",
        "PLN": "PLN ",
    }
)
# What one unit is called in "pipeline per dollar"; other codes are named by their code.
CURRENCY_UNITS = MappingProxyType(
    {
        "USD": "dollar", "EUR": "euro", "GBP": "pound", "JPY": "yen", "CNY": "yuan",
        "INR": "rupee", "KRW": "won", "ILS": "shekel", "AUD": "Australian dollar",
        "CAD": "Canadian dollar", "NZD": "New Zealand dollar", "SGD": "Singapore dollar",
        "HKD": "Hong Kong dollar", "MXN": "peso", "BRL": "real", "CHF": "franc",
        "SEK": "krona", "NOK": "krone", "DKK": "krone", "PLN": "złoty",
    }
)  # fmt: skip
# Streamlit's NumberColumn has presets for these three (Intl currency formats).
_STREAMLIT_PRESETS = MappingProxyType({"USD": "dollar", "EUR": "euro", "JPY": "yen"})
# Currencies with no minor unit in everyday use: tables show whole amounts.
_WHOLE_UNITS = frozenset({"JPY", "KRW", "ISK", "CLP", "VND", "HUF", "UGX", "PYG"})
_CODE = re.compile(r"^[A-Z]{3}$")


def currency_code(currency: str) -> str:
    """``currency`` checked and upper-cased: three letters, as ISO 4217 writes them."""
    code = str(currency).strip().upper()
    if not _CODE.match(code):
        raise ValueError(
            f"currency must be a three-letter ISO 4217 code such as EUR, got {currency!r}"
        )
    return code


def currency_symbol(currency: str = DEFAULT_CURRENCY) -> str:
    """``$``, ``€``, ``£``, ``A$``; ``CHF `` or ``ZAR `` (code and space) where none is kept."""
    code = currency_code(currency)
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def currency_unit(currency: str = DEFAULT_CURRENCY) -> str:
    """What one unit is called in running text (``dollar``, ``euro``), else the code."""
    code = currency_code(currency)
    return CURRENCY_UNITS.get(code, code)


def format_money(value: float | None, currency: str = DEFAULT_CURRENCY) -> str:
    """``€36.0M``, ``£845K``, ``$1,250``, ``-CHF 2.10M``; ``n/a`` for missing values.

    >>> format_money(845_300, "EUR"), format_money(-2_100_000), format_money(1_250, "zar")
    ('€845K', '-$2.10M', 'ZAR 1,250')
    """
    symbol = currency_symbol(currency)
    if value is None or math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{sign}{symbol}{magnitude / 1e9:.2f}B"
    if magnitude >= 999_500:  # what would round to 1000K reads as 1.00M
        return (
            f"{sign}{symbol}{magnitude / 1e6:.1f}M"
            if magnitude >= 9_995_000
            else f"{sign}{symbol}{magnitude / 1e6:.2f}M"
        )
    if magnitude >= 1e4:
        return f"{sign}{symbol}{magnitude / 1e3:.0f}K"
    return f"{sign}{symbol}{magnitude:,.0f}"


def format_usd(value: float | None) -> str:
    """``$36.0M``, ``$845K``, ``$1,250``, ``-$2.1M``; ``n/a`` for missing values.

    Kept for callers that mean US dollars; money in the store is :func:`format_money`.
    """
    return format_money(value, "USD")


def format_money_exact(
    value: float | None, currency: str = DEFAULT_CURRENCY, decimals: int = 0
) -> str:
    """Not compacted: ``€1,250``, ``$2.40`` (``decimals=2``), ``-£999``; ``n/a`` if missing."""
    symbol = currency_symbol(currency)
    if value is None or math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    return f"{sign}{symbol}{abs(value):,.{decimals}f}"


def money_column_format(currency: str = DEFAULT_CURRENCY) -> str:
    """A ``st.column_config.NumberColumn`` format for money: ``"dollar"``, ``"euro"``, ``"yen"``
    (Streamlit's presets), else printf style with the symbol (``"£%,.2f"``, ``"CHF %,.2f"``).

    Streamlit formats printf strings with sprintf-js, which takes ``,`` for thousands.
    """
    code = currency_code(currency)
    if code in _STREAMLIT_PRESETS:
        return _STREAMLIT_PRESETS[code]
    decimals = 0 if code in _WHOLE_UNITS else 2
    return f"{currency_symbol(code)}%,.{decimals}f"


def money_slider_format(currency: str = DEFAULT_CURRENCY) -> str:
    """A slider's printf format for whole amounts of money: ``"$%d"``, ``"€%d"``."""
    return f"{currency_symbol(currency)}%d"


def axis_money_label_expr(currency: str = DEFAULT_CURRENCY, millions_decimals: int = 1) -> str:
    """A Vega ``labelExpr`` writing axis values as the cards do: ``€400K``, ``€1.2M``.

    d3's ``format`` has no way to name a currency other than its locale's (``"$,.0f"`` always
    writes ``$``), so the symbol is put in by the expression. ``millions_decimals=2`` keeps a
    narrow range of millions apart (``€3.02M``, ``€3.04M``).
    """
    quoted = "'" + currency_symbol(currency).replace("\\", "\\\\").replace("'", "\\'") + "'"
    return (
        f"abs(datum.value) >= 1e6 ? {quoted} + format(datum.value / 1e6, "
        f"'.{millions_decimals}f') + 'M' : "
        f"abs(datum.value) >= 1e4 ? {quoted} + format(datum.value / 1e3, '.0f') + 'K' : "
        f"abs(datum.value) >= 1e3 ? {quoted} + format(datum.value / 1e3, '.1f') + 'K' : "
        f"{quoted} + format(datum.value, ',.0f')"
    )


def tooltip_money_format(currency: str = DEFAULT_CURRENCY) -> str:
    """A d3 format for money in a tooltip: ``"$,.0f"`` for US dollars, else ``",.0f"`` (d3 can
    only write the dollar sign; name the currency in the tooltip's title, see
    :func:`money_title`)."""
    return "$,.0f" if currency_code(currency) == "USD" else ",.0f"


def money_title(title: str, currency: str = DEFAULT_CURRENCY) -> str:
    """``title`` as is for US dollars (its numbers carry ``$``), else ``"Amount (€)"``."""
    code = currency_code(currency)
    return title if code == "USD" else f"{title} ({currency_symbol(code).strip()})"


def format_apart(
    values: Sequence[float | None], unit: str, currency: str = DEFAULT_CURRENCY
) -> list[str]:
    """:func:`format_metric` of each value, with more digits when rounding would show two
    different values alike: a target of $16,000 and a projection of $16,400 never both read
    "$16K" beside a status that their difference made.

    >>> format_apart([16_000.0, 16_400.0, None], "usd")
    ['$16,000', '$16,400', 'n/a']
    >>> format_apart([16_000.0, 16_000.4], "usd")
    ['$16,000.00', '$16,000.40']
    >>> format_apart([2_240_000.0, 3_050_000.0], "usd")
    ['$2.24M', '$3.05M']
    """

    def shown(value: float | None, digits: int | None) -> str:
        if value is None or math.isnan(value) or digits is None:
            return format_metric(value, unit, currency=currency)
        if unit == "usd":
            return format_money_exact(value, currency, digits)
        if unit == "ratio":
            return f"{value * 100:.{digits + 1}f}%"
        if unit == "months":
            return f"{value:.{digits + 1}f} months"
        return f"{value:,.{digits}f}"

    known = [value for value in values if value is not None and not math.isnan(value)]
    for digits in (None, 0, 2, 4):
        texts = [shown(value, digits) for value in values]
        alike = {
            (text_a, a)
            for a, text_a in zip(values, texts, strict=True)
            for b, text_b in zip(values, texts, strict=True)
            if a in known
            and b in known
            and text_a == text_b
            and abs(a - b) > 1e-9 * max(1.0, abs(a))  # type: ignore[operator]
        }
        if not alike:
            return texts
    return texts


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


def format_metric(
    value: float | None, unit: str, signed: bool = False, currency: str = DEFAULT_CURRENCY
) -> str:
    """A metric's value in its unit: money, a count, a percentage or months; ``n/a`` if unknown.

    ``signed`` writes a sign on every non-zero value (for differences). Money (unit ``usd``, a
    historical name) is in ``currency``, the store's reporting currency.
    """
    if value is None or math.isnan(value):
        return "n/a"
    sign = "+" if signed and value > 0 else ""
    if unit == "usd":
        return sign + format_money(value, currency)
    if unit == "count":
        return sign + format_count(value)
    if unit == "ratio":
        points = " pts" if signed else ""
        return f"{value * 100:+.1f}%{points}" if signed else f"{value * 100:.1f}%"
    if unit == "months":
        return f"{value:+.1f} months" if signed else f"{value:.1f} months"
    return f"{value:+,.2f}" if signed else f"{value:,.2f}"
