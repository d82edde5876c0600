"""Company settings: the company's name, its fiscal calendar and its reporting currency.

The store keeps them as four text settings (:data:`SETTING_KEYS`). A store that was never set up
has no ``company_name``; it then reads with a January fiscal year named by the year it ends in,
and in US dollars (:data:`DEFAULTS_BEFORE_SET_UP`), which is what every page used before this
module existed.

Changing the settings changes how numbers read, so :func:`describe_change` says what a change
does in plain sentences before (and after) it is made:

- a new fiscal calendar relabels every quarter; goals, forecasts and budgets already loaded keep
  their dates, so their labels (from the old calendar) no longer name the new quarters;
- amounts are converted to the reporting currency as they load (at the exchange rates loaded,
  which are rates to the reporting currency); a new currency restates every amount from the
  amount as written, through the new currency's rate to the old one
  (:mod:`core.store.currency_change`, which refuses with :class:`CurrencyChangeError` when a
  month lacks that rate).

Pure: no SQL, no Streamlit.

Examples
--------
>>> acme = CompanySettings("Acme", fiscal_year_start_month=4, fiscal_year_named_by="end",
...                        currency="eur")
>>> acme.currency, short_label(acme)
('EUR', 'Acme · FY starts April · EUR')
>>> parse_month("apr"), parse_month("04")
(4, 4)
>>> effect = describe_change(
...     CompanySettings("Acme", 2, "end", "USD"), CompanySettings("Acme", 4, "end", "USD"),
...     date(2026, 10, 15), StoreCounts(),
... )
>>> print(effect[0])  # doctest: +NORMALIZE_WHITESPACE
Fiscal year now starts in April (was February): the current quarter Q3 FY2027
(1 Aug – 31 Oct 2026) becomes Q3 FY2027 (1 Oct – 31 Dec 2026).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date
from typing import Literal

from core.calendar import FiscalCalendar, FiscalPeriod
from core.formatting import format_day, plural

NamedBy = Literal["start", "end"]

COMPANY_NAME_KEY = "company_name"
FISCAL_YEAR_START_MONTH_KEY = "fiscal_year_start_month"
FISCAL_YEAR_NAMED_BY_KEY = "fiscal_year_named_by"
CURRENCY_KEY = "currency"
SETTING_KEYS = (
    COMPANY_NAME_KEY,
    FISCAL_YEAR_START_MONTH_KEY,
    FISCAL_YEAR_NAMED_BY_KEY,
    CURRENCY_KEY,
)

MAX_COMPANY_NAME_LENGTH = 120
MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# Active ISO 4217 currency codes (list one, circulating currencies; funds codes such as BOV or
# CLF, precious metals and test codes are left out). Withdrawn, and so absent: ANG (replaced by
# XCG in 2025), BGN (Bulgaria adopted the euro on 1 January 2026), CUC, HRK, SLL, VEF and ZWL.
ACTIVE_CURRENCIES = (
    "AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BHD",
    "BIF", "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF",
    "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
    "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD",
    "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES",
    "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
    "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN",
    "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP",
    "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK",
    "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT",
    "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VED", "VES",
    "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
)  # fmt: skip
# Offered first in the app's list, with their names; every other active code follows.
COMMON_CURRENCIES = {
    "EUR": "Euro",
    "USD": "US dollar",
    "GBP": "Pound sterling",
    "AUD": "Australian dollar",
    "CAD": "Canadian dollar",
    "CHF": "Swiss franc",
    "JPY": "Japanese yen",
    "SEK": "Swedish krona",
    "NOK": "Norwegian krone",
    "DKK": "Danish krone",
    "PLN": "Polish złoty",
    "NZD": "New Zealand dollar",
    "SGD": "Singapore dollar",
    "INR": "Indian rupee",
}

# What a store that was never set up reads with (core.store.queries.fiscal_calendar, and the
# ingest's reporting currency).
DEFAULT_START_MONTH = 1
DEFAULT_NAMED_BY: NamedBy = "end"
DEFAULT_CURRENCY = "USD"


def parse_company_name(text: str) -> str:
    """The company name, stripped: 1 to 120 characters, no control characters."""
    name = str(text).strip()
    if not name:
        raise ValueError("company name is required")
    if len(name) > MAX_COMPANY_NAME_LENGTH:
        raise ValueError(
            f"company name must be at most {MAX_COMPANY_NAME_LENGTH} characters, got {len(name)}"
        )
    if any(unicodedata.category(char) in ("Cc", "Cf") for char in name):
        raise ValueError("company name must be one line of text, without control characters")
    return name


def parse_month(text: str | int) -> int:
    """A month number from ``4``, ``04``, ``April`` or ``apr`` (any case).

    Raises
    ------
    ValueError
        Naming what was expected.
    """
    value = str(text).strip().rstrip(".").lower()
    if value.isdigit() and 1 <= int(value) <= 12:
        return int(value)
    for number, name in enumerate(MONTH_NAMES, start=1):
        if value in (name.lower(), name[:3].lower()) or (number == 9 and value == "sept"):
            return number
    raise ValueError(
        f"fiscal year start must be a month such as 4, 04, April or Apr, got {str(text)!r}"
    )


def parse_currency(text: str) -> str:
    """An active ISO 4217 code, upper case, from any case (``eur`` -> ``EUR``)."""
    code = str(text).strip().upper()
    if code in ACTIVE_CURRENCIES:
        return code
    if len(code) == 3 and code.isalpha():
        raise ValueError(
            f"currency {str(text)!r} is not an active ISO 4217 code; use one such as EUR"
        )
    raise ValueError(
        f"currency must be a three-letter ISO 4217 code such as EUR, got {str(text)!r}"
    )


def parse_named_by(text: str) -> NamedBy:
    """``"start"`` or ``"end"``: the calendar year a fiscal year is named after."""
    value = str(text).strip().lower()
    if value == "start":
        return "start"
    if value == "end":
        return "end"
    raise ValueError(f"fiscal years are named by their 'start' or 'end' year, got {str(text)!r}")


@dataclass(frozen=True)
class CompanySettings:
    """The company's name, fiscal calendar and reporting currency (checked and normalised)."""

    name: str
    fiscal_year_start_month: int
    fiscal_year_named_by: NamedBy
    currency: str

    def __post_init__(self) -> None:
        month = self.fiscal_year_start_month
        if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
            raise ValueError(f"fiscal year start month must be 1 to 12, got {month!r}")
        object.__setattr__(self, "name", parse_company_name(self.name))
        object.__setattr__(self, "fiscal_year_named_by", parse_named_by(self.fiscal_year_named_by))
        object.__setattr__(self, "currency", parse_currency(self.currency))

    @property
    def calendar(self) -> FiscalCalendar:
        """The fiscal calendar these settings describe."""
        return FiscalCalendar(self.fiscal_year_start_month, self.fiscal_year_named_by)

    @property
    def start_month_name(self) -> str:
        """``April``."""
        return MONTH_NAMES[self.fiscal_year_start_month - 1]

    def store_values(self) -> dict[str, str]:
        """The settings as the store keeps them (text per key)."""
        return {
            COMPANY_NAME_KEY: self.name,
            FISCAL_YEAR_START_MONTH_KEY: str(self.fiscal_year_start_month),
            FISCAL_YEAR_NAMED_BY_KEY: self.fiscal_year_named_by,
            CURRENCY_KEY: self.currency,
        }


def company_settings_from(store_settings: Mapping[str, str]) -> CompanySettings | None:
    """The company settings in the store's settings; ``None`` when it was never set up (no
    company name). Keys missing beside a name read as the defaults before set-up."""
    name = str(store_settings.get(COMPANY_NAME_KEY) or "").strip()
    if not name:
        return None
    return CompanySettings(
        name=name,
        fiscal_year_start_month=parse_month(
            store_settings.get(FISCAL_YEAR_START_MONTH_KEY, str(DEFAULT_START_MONTH))
        ),
        fiscal_year_named_by=parse_named_by(
            store_settings.get(FISCAL_YEAR_NAMED_BY_KEY, DEFAULT_NAMED_BY)
        ),
        currency=store_settings.get(CURRENCY_KEY, DEFAULT_CURRENCY),
    )


def short_label(settings: CompanySettings) -> str:
    """``Acme · FY starts April · EUR``: the sidebar's one line."""
    return f"{settings.name} · FY starts {settings.start_month_name} · {settings.currency}"


@dataclass(frozen=True)
class StoreCounts:
    """How many current records the store holds that a change of settings concerns."""

    goals: int = 0
    forecasts: int = 0
    budgets: int = 0
    opportunities: int = 0
    spend: int = 0
    revenue: int = 0
    campaigns_with_budget: int = 0
    exchange_rates: int = 0

    @property
    def money_rows(self) -> int:
        """Records holding amounts in the reporting currency, or rates to it."""
        return (
            self.opportunities + self.spend + self.revenue + self.budgets
            + self.campaigns_with_budget + self.exchange_rates
        )  # fmt: skip

    @property
    def period_rows(self) -> int:
        """Records loaded with fiscal period labels (goals, forecasts, budgets)."""
        return self.goals + self.forecasts + self.budgets

    @property
    def any_rows(self) -> bool:
        """Whether the store holds any of these records."""
        return any(getattr(self, item.name) for item in fields(self))


class CurrencyChangeError(ValueError):
    """The reporting currency cannot change: an amount could not be restated in the new one."""


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _span(period: FiscalPeriod) -> str:
    """``1 Aug – 31 Oct 2026``, or ``1 Nov 2026 – 31 Jan 2027`` across years."""
    if period.start.year == period.end.year:
        return f"{period.start.day} {period.start:%b} – {format_day(period.end)}"
    return f"{format_day(period.start)} – {format_day(period.end)}"


def _quarter_text(period: FiscalPeriod) -> str:
    return f"{period.label} ({_span(period)})"


def _named_by_text(named_by: str, years: bool = False) -> str:
    """``named by the year it ends in`` (or, of ``years``, ``... they end in``)."""
    verb = named_by if years else named_by + "s"
    return f"named by the year {'they' if years else 'it'} {verb} in"


def calendar_preview(calendar: FiscalCalendar, today: date) -> str:
    """How ``calendar`` labels today: ``Today, 23 Nov 2026, falls in Q3 FY2027 (1 Oct – 31 Dec
    2026); FY2027 runs 1 Apr 2026 – 31 Mar 2027.``"""
    year = calendar.year_containing(today)
    return (
        f"Today, {format_day(today)}, falls in {_quarter_text(calendar.quarter_containing(today))}"
        f"; {year.label} runs {_span(year)}."
    )


def _money_text(counts: StoreCounts) -> str:
    parts = [
        plural(counts.opportunities, "opportunity", "opportunities"),
        plural(counts.spend, "spend row"),
        plural(counts.revenue, "ARR row"),
        plural(counts.budgets, "budget"),
        plural(counts.campaigns_with_budget, "campaign with a budget", "campaigns with a budget"),
        plural(counts.exchange_rates, "exchange rate"),
    ]
    return _join([part for part in parts if not part.startswith("0 ")])


def _same_labels(old: FiscalCalendar, new: FiscalCalendar) -> bool:
    """Whether both calendars give every day the same period labels and dates."""
    if old.start_month != new.start_month:
        return False
    return old.named_by == new.named_by or old.start_month == 1


def _calendar_sentences(
    old: FiscalCalendar, new: CompanySettings, today: date, counts: StoreCounts, first: bool
) -> list[str]:
    calendar = new.calendar
    now_in = _quarter_text(calendar.quarter_containing(today))
    if first and (not counts.any_rows or _same_labels(old, calendar)):
        return [
            f"Fiscal year starts in {new.start_month_name}, "
            f"{_named_by_text(new.fiscal_year_named_by)}: the current quarter is {now_in}."
        ]
    if old == calendar:
        return []
    old_month = MONTH_NAMES[old.start_month - 1]
    was_default = ", the default before set-up" if first else ""
    if old.start_month == new.fiscal_year_start_month:
        change = (
            f"Fiscal years are now {_named_by_text(new.fiscal_year_named_by, years=True)} "
            f"(were {_named_by_text(old.named_by, years=True)}{was_default})"
        )
    elif old.named_by == new.fiscal_year_named_by:
        change = f"Fiscal year now starts in {new.start_month_name} (was {old_month}{was_default})"
    else:
        change = (
            f"Fiscal year now starts in {new.start_month_name} and is "
            f"{_named_by_text(new.fiscal_year_named_by)} (was {old_month}, "
            f"{_named_by_text(old.named_by)}{was_default})"
        )
    before = old.quarter_containing(today)
    if _same_labels(old, calendar):
        return [
            f"{change}: with a January start no label changes; the current quarter stays {now_in}."
        ]
    sentences = [f"{change}: the current quarter {_quarter_text(before)} becomes {now_in}."]
    if counts.period_rows:
        loaded = _join(
            [
                plural(count, noun)
                for count, noun in (
                    (counts.goals, "goal"),
                    (counts.forecasts, "forecast"),
                    (counts.budgets, "budget"),
                )
                if count
            ]
        )
        one = counts.period_rows == 1
        verb, they, their = ("was", "it keeps", "its") if one else ("were", "they keep", "their")
        sentences.append(
            f"{loaded} {verb} loaded with period labels of the old calendar: {they} {their} "
            f"dates ({their} {before.label} still means {_span(before)}), so {their} "
            f"label{'' if one else 's'} no longer match{'es' if one else ''} the new quarters."
        )
    return sentences


def _plans_held(counts: StoreCounts) -> str:
    """The plans a currency change leaves as they are (targets and forecasts have no currency
    of their own): ``the targets of 2 goals``, or ``""``."""
    return _join(
        [
            text
            for count, text in (
                (counts.goals, f"the targets of {plural(counts.goals, 'goal')}"),
                (counts.forecasts, f"the values of {plural(counts.forecasts, 'forecast')}"),
            )
            if count
        ]
    )


def _currency_sentences(
    old_currency: str, new: CompanySettings, counts: StoreCounts, first: bool
) -> list[str]:
    code = new.currency
    if old_currency == code and not first:
        return []
    held = _plans_held(counts) if old_currency != code else ""
    if old_currency != code and counts.money_rows:
        return [
            f"Reporting currency now {code} (was {old_currency}): the amounts already loaded "
            f"({_money_text(counts)}) are restated in {code} from the amounts as written, at "
            f"the rates loaded, rebased through {code}'s rate to {old_currency}; the upload "
            f"history keeps them as reported in {old_currency}."
            + (f" Any money among {held} is not converted: review them." if held else "")
        ]
    if old_currency == code and counts.money_rows:
        return [f"Reporting currency set to {code}, the currency of the amounts loaded so far."]
    opening = (
        f"Reporting currency set to {code}"
        if first
        else f"Reporting currency now {code} (was {old_currency})"
    )
    rule = (
        f"amounts load in {code} from now on (other currencies are converted at the exchange "
        "rates you load)."
    )
    if held:
        return [
            f"{opening}. Amounts loaded so far stay in {old_currency} as loaded: any money among "
            f"{held} is not converted; {rule}"
        ]
    if first:
        return [f"{opening}: {rule}"]
    return [f"{opening}: no amounts are loaded yet, so nothing is restated; {rule}"]


def describe_change(
    old: CompanySettings | None, new: CompanySettings, today: date, counts: StoreCounts
) -> tuple[str, ...]:
    """What changing the settings from ``old`` (``None``: never set up) to ``new`` does, in plain
    sentences, as of ``today`` with ``counts`` records in the store; ``()`` when nothing changes.

    """
    first = old is None
    old_calendar = (
        FiscalCalendar(DEFAULT_START_MONTH, DEFAULT_NAMED_BY) if old is None else old.calendar
    )
    old_currency = DEFAULT_CURRENCY if old is None else old.currency
    sentences = []
    if old is None:
        sentences.append(f"Company name set to {new.name}.")
    elif old.name != new.name:
        sentences.append(f"Company name now {new.name} (was {old.name}).")
    currency = _currency_sentences(old_currency, new, counts, first)  # refuses first
    sentences.extend(_calendar_sentences(old_calendar, new, today, counts, first))
    sentences.extend(currency)
    return tuple(sentences)
