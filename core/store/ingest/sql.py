"""DuckDB expressions that turn exported text into typed values (DuckDB-specific, by design).

Every function returns a SQL expression over a quoted column reference; values never enter SQL
text except through the fixed vocabularies and format lists of this package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

# Date shapes by field order; each may carry a time of day. The first complete match wins.
DATE_ORDERS: Mapping[str, tuple[str, ...]] = {
    "ymd": ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"),
    "mdy": ("%m/%d/%Y", "%m-%d-%Y", "%m/%d/%y"),
    "dmy": ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"),
    "text": ("%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y"),
}
TIME_SUFFIXES = (
    "",
    " %H:%M",
    " %H:%M:%S",
    " %I:%M %p",
    " %I:%M:%S %p",
    "T%H:%M:%S",
    "T%H:%M:%SZ",
    "T%H:%M:%S.%gZ",
    "T%H:%M:%S.%g%z",
    "T%H:%M:%S%z",
    " %H:%M:%S UTC",  # warehouse syncs (Fivetran on BigQuery): 2026-06-12 17:50:32 UTC
    " %H:%M:%S.%f UTC",
)
MONTH_FORMATS = ("%Y-%m", "%b %Y", "%B %Y", "%m/%Y", "%m.%Y", "%Y-%m-%d", "%Y%m")
ORDER_NAMES = {
    "ymd": "year-month-day (2026-11-22)",
    "mdy": "month/day/year (11/22/2026)",
    "dmy": "day/month/year (22/11/2026)",
    "text": "written-out months (Nov 22, 2026)",
}


def quoted(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A string literal (for fixed vocabulary values and formats only)."""
    return "'" + text.replace("'", "''") + "'"


def date_formats(order: str) -> tuple[str, ...]:
    """Every format of a date order, with and without a time of day."""
    return tuple(base + suffix for base in DATE_ORDERS[order] for suffix in TIME_SUFFIXES)


def blank_to_null(column: str) -> str:
    """Trimmed text, NULL when empty."""
    return f"nullif(trim({column}), '')"


def text_value(column: str) -> str:
    """Text as it was, trimmed; NULL when empty."""
    return blank_to_null(column)


def number_value(column: str, decimal_comma: bool) -> str:
    """A number from ``$1,234.56``, ``USD 1,234.56``, ``1.234,56 EUR``, ``(12.50)``, ``75%``.

    Currency symbols and codes, spaces and percent signs are dropped; parentheses mean a
    negative amount. The separators must be well formed for the file's convention, so
    ``1,2,3`` is not read as 123.
    """
    # Only a leading or trailing 3-letter currency code may be text; any other letter (1e5,
    # 12abc) makes the value not a number.
    code = "^\\s*([A-Z]{3}|[A-Za-z]{3}\\s)|(\\s[A-Za-z]{3}|[A-Z]{3})\\s*$"
    without_code = f"regexp_replace({blank_to_null(column)}, '{code}', '', 'g')"
    allowed = f"regexp_full_match({without_code}, '[0-9,.()\\-+%$€£¥\\s]+')"
    kept = f"regexp_replace({without_code}, '[^0-9,.()\\-]', '', 'g')"
    if decimal_comma:
        shape = "'^-?\\(?-?([0-9]{1,3}(\\.[0-9]{3})+|[0-9]+)(,[0-9]+)?\\)?$'"
        plain = f"replace(replace(regexp_replace({kept}, '[()]', '', 'g'), '.', ''), ',', '.')"
    else:
        shape = "'^-?\\(?-?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\\.[0-9]+)?\\)?$'"
        plain = f"replace(regexp_replace({kept}, '[()]', '', 'g'), ',', '')"
    sign = f"case when {kept} like '(%)' then -1 else 1 end"
    # Most cells are plain (1234.56 or 1234,56): one cheap match reads them; the rest take the
    # general path above.
    simple = f"trim({column})"
    if decimal_comma:
        simple = f"replace({simple}, ',', '.')"
    return (
        f"case when {is_plain_number(column, decimal_comma)} then cast({simple} as double) "
        f"when {allowed} and regexp_full_match({kept}, {shape}) "
        f"then try_cast({plain} as double) * {sign} end"
    )


def is_plain_number(column: str, decimal_comma: bool) -> str:
    """TRUE for a cell written as a bare number (no currency, separators or signs to read)."""
    point = "," if decimal_comma else "\\."
    return f"regexp_full_match({column}, '\\s*-?[0-9]+({point}[0-9]+)?\\s*')"


def integer_value(column: str, decimal_comma: bool) -> str:
    """A whole number (``12,345``)."""
    number = number_value(column, decimal_comma)
    whole = f"regexp_full_match({column}, '\\s*-?[0-9]{{1,18}}\\s*')"
    return (
        f"case when {whole} then cast(trim({column}) as bigint) "
        f"when {number} = round({number}) then cast({number} as bigint) end"
    )


def currency_in_value(column: str) -> str:
    """The currency written inside an amount (``USD 1,200``, ``€1.200,00``), or NULL."""
    # A code standing alone before or after the figure ("USD 1,200", "1.200,00 EUR"), never
    # three letters inside a word ("five thousand" names no currency).
    code = "^\\s*([A-Za-z]{3})\\b|\\b([A-Za-z]{3})\\s*$"
    return (
        f"coalesce(nullif(upper(coalesce(nullif(regexp_extract({column}, '{code}', 1), ''), "
        f"regexp_extract({column}, '{code}', 2))), ''), "
        f"case when {column} like '%$%' then 'USD' when {column} like '%€%' then 'EUR' "
        f"when {column} like '%£%' then 'GBP' end)"
    )


def timestamp_value(column: str, date_format: str) -> str:
    """A timestamp in the file's chosen format."""
    return f"try_strptime({blank_to_null(column)}, {literal(date_format)})"


def date_value(column: str, date_format: str) -> str:
    """A date in the file's chosen format (a time of day, if any, is dropped)."""
    return f"cast({timestamp_value(column, date_format)} as date)"


def month_value(column: str, month_format: str) -> str:
    """The first day of a month from ``2026-11``, ``Nov 2026``, ``11/2026``."""
    return f"cast(date_trunc('month', {timestamp_value(column, month_format)}) as date)"


def boolean_value(column: str) -> str:
    """``true``/``false``, ``yes``/``no``, ``1``/``0``, ``x`` and blank."""
    key = f"lower(trim({column}))"
    return (
        f"case when {key} in ('true', 't', 'yes', 'y', '1', 'x', 'wahr', 'ja') then true "
        f"when {key} in ('false', 'f', 'no', 'n', '0', 'falsch', 'nein') then false end"
    )


def vocabulary_value(column: str, vocabulary: Mapping[str, str]) -> str:
    """The store's value for a vendor value (compared as lower-case letters and digits)."""
    key = f"regexp_replace(lower({column}), '[^a-z0-9]', '', 'g')"
    cases = " ".join(
        f"when {literal(vendor)} then {literal(ours)}"
        for vendor, ours in sorted(vocabulary.items())
    )
    return f"case {key} {cases} end"


def vocabulary_key(column: str) -> str:
    """How :func:`vocabulary_value` compares a cell."""
    return f"regexp_replace(lower({column}), '[^a-z0-9]', '', 'g')"


_DIRECTIVE_SHAPES = {
    "%Y": r"\d{4}",
    "%y": r"\d{2}",
    "%m": r"\d{1,2}",
    "%d": r"\d{1,2}",
    "%H": r"\d{1,2}",
    "%I": r"\d{1,2}",
    "%M": r"\d{1,2}",
    "%S": r"\d{1,2}",
    "%g": r"\d{1,9}",
    "%f": r"\d{1,9}",
    "%p": r"[AaPp]\.?[Mm]\.?",
    "%b": r"[^\W\d_]{3,4}\.?",
    "%B": r"[^\W\d_]+",
    "%z": r"(?:Z|[+-]\d{2}(?::?\d{2})?)",
}


def format_shape(date_format: str) -> re.Pattern[str]:
    """A loose pattern for values a date format could read (a superset: it never rejects one).

    Used to try only plausible formats on a sample; the sample itself decides.
    """
    parts = []
    position = 0
    while position < len(date_format):
        directive = date_format[position : position + 2]
        if directive in _DIRECTIVE_SHAPES:
            parts.append(_DIRECTIVE_SHAPES[directive])
            position += 2
            continue
        character = date_format[position]
        parts.append(r"\s+" if character == " " else re.escape(character))
        position += 1
    return re.compile("".join(parts), re.IGNORECASE)


ALL_DATE_FORMATS = tuple(f for order in DATE_ORDERS for f in date_formats(order))
FORMAT_SHAPES: Mapping[str, re.Pattern[str]] = MappingProxyType(
    {date_format: format_shape(date_format) for date_format in ALL_DATE_FORMATS}
)
