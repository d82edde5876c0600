"""Company settings: parsing, reading the store's settings, and the sentences a change reads as.

Every expected sentence is written out by hand: the quarters come from the calendar worked out on
paper (a February year named by its end: FY2027 runs 1 Feb 2026 - 31 Jan 2027).
"""

from datetime import date

import pytest

from core.company import (
    ACTIVE_CURRENCIES,
    COMMON_CURRENCIES,
    CompanySettings,
    CurrencyChangeError,
    StoreCounts,
    calendar_preview,
    company_settings_from,
    describe_change,
    parse_company_name,
    parse_currency,
    parse_month,
    short_label,
)

OCT_15 = date(2026, 10, 15)
NOV_23 = date(2026, 11, 23)
ACME_FEB_USD = CompanySettings("Acme", 2, "end", "USD")
NOTHING = StoreCounts()
PLANS = StoreCounts(goals=3, forecasts=1, budgets=2)


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("4", 4), ("04", 4), (" April ", 4), ("apr", 4), ("APR", 4), ("Apr.", 4), (4, 4),
        ("1", 1), ("12", 12), ("December", 12), ("sept", 9), ("Sep", 9), ("february", 2),
    ],
)  # fmt: skip
def test_parse_month_accepts_numbers_and_names(text, month):
    assert parse_month(text) == month


@pytest.mark.parametrize("text", ["0", "13", "", "Aprl", "Q2", "4.5", "-1", "Frühling"])
def test_parse_month_says_what_was_expected(text):
    with pytest.raises(ValueError, match=r"must be a month such as 4, 04, April or Apr, got '"):
        parse_month(text)


@pytest.mark.parametrize(
    ("text", "code"), [("EUR", "EUR"), ("eur", "EUR"), (" usd ", "USD"), ("Gbp", "GBP"),
                       ("XCG", "XCG"), ("zwg", "ZWG")]
)  # fmt: skip
def test_parse_currency_accepts_active_codes_in_any_case(text, code):
    assert parse_currency(text) == code


def test_parse_currency_refuses_a_word_with_the_expected_form():
    with pytest.raises(ValueError) as raised:
        parse_currency("EURO")
    assert str(raised.value) == (
        "currency must be a three-letter ISO 4217 code such as EUR, got 'EURO'"
    )


@pytest.mark.parametrize("text", ["BGN", "HRK", "ANG", "XYZ", "xts"])
def test_parse_currency_refuses_withdrawn_and_unknown_codes(text):
    with pytest.raises(ValueError, match=rf"currency '{text}' is not an active ISO 4217 code"):
        parse_currency(text)


def test_the_currency_lists_are_consistent():
    assert len(ACTIVE_CURRENCIES) == len(set(ACTIVE_CURRENCIES)) == 155
    assert list(ACTIVE_CURRENCIES) == sorted(ACTIVE_CURRENCIES)
    assert all(len(code) == 3 and code.isupper() for code in ACTIVE_CURRENCIES)
    assert set(COMMON_CURRENCIES) <= set(ACTIVE_CURRENCIES)
    assert list(COMMON_CURRENCIES)[:7] == ["EUR", "USD", "GBP", "AUD", "CAD", "CHF", "JPY"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "company name is required"),
        ("   ", "company name is required"),
        ("A" * 121, "at most 120 characters, got 121"),
        ("Acme\nInc", "without control characters"),
        ("Acme\u200bInc", "without control characters"),  # a zero-width space hides in a name
    ],
)
def test_company_name_is_checked(text, message):
    with pytest.raises(ValueError, match=message):
        parse_company_name(text)


def test_company_settings_normalise_what_they_are_given():
    settings = CompanySettings("  Acme GmbH ", 4, "end", "eur")
    assert (settings.name, settings.currency, settings.start_month_name) == (
        "Acme GmbH",
        "EUR",
        "April",
    )
    assert settings.store_values() == {
        "company_name": "Acme GmbH",
        "fiscal_year_start_month": "4",
        "fiscal_year_named_by": "end",
        "currency": "EUR",
    }
    assert short_label(settings) == "Acme GmbH · FY starts April · EUR"
    assert CompanySettings("A" * 120, 1, "start", "USD").name == "A" * 120


@pytest.mark.parametrize(
    ("month", "named_by", "message"),
    [(0, "end", "1 to 12, got 0"), (13, "end", "1 to 12, got 13"), ("4", "end", "got '4'"),
     (4, "middle", "'start' or 'end' year, got 'middle'")],
)  # fmt: skip
def test_company_settings_refuse_bad_values(month, named_by, message):
    with pytest.raises(ValueError, match=message):
        CompanySettings("Acme", month, named_by, "EUR")


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ({}, None),
        ({"fiscal_year_start_month": "2", "currency": "USD"}, None),  # never set up: no name
        ({"company_name": " "}, None),
        ({"company_name": "Acme"}, CompanySettings("Acme", 1, "end", "USD")),
        (
            {"company_name": "Northwind Analytics", "currency": "USD",
             "fiscal_year_start_month": "2", "fiscal_year_named_by": "end", "is_demo": "true"},
            CompanySettings("Northwind Analytics", 2, "end", "USD"),
        ),
        (
            {"company_name": "Acme", "currency": "eur", "fiscal_year_start_month": "07",
             "fiscal_year_named_by": "start"},
            CompanySettings("Acme", 7, "start", "EUR"),
        ),
    ],
)  # fmt: skip
def test_company_settings_from_the_stores_settings(stored, expected):
    assert company_settings_from(stored) == expected


def test_company_settings_from_a_damaged_store_says_which_value():
    with pytest.raises(ValueError, match="got '13'"):
        company_settings_from({"company_name": "Acme", "fiscal_year_start_month": "13"})


@pytest.mark.parametrize(
    ("settings", "today", "preview"),
    [
        (CompanySettings("Acme", 4, "end", "EUR"), NOV_23,
         "Today, 23 Nov 2026, falls in Q3 FY2027 (1 Oct – 31 Dec 2026); "
         "FY2027 runs 1 Apr 2026 – 31 Mar 2027."),
        (CompanySettings("Acme", 4, "start", "EUR"), NOV_23,
         "Today, 23 Nov 2026, falls in Q3 FY2026 (1 Oct – 31 Dec 2026); "
         "FY2026 runs 1 Apr 2026 – 31 Mar 2027."),
        (ACME_FEB_USD, NOV_23,
         "Today, 23 Nov 2026, falls in Q4 FY2027 (1 Nov 2026 – 31 Jan 2027); "
         "FY2027 runs 1 Feb 2026 – 31 Jan 2027."),
        (CompanySettings("Acme", 1, "end", "USD"), date(2026, 3, 31),
         "Today, 31 Mar 2026, falls in Q1 FY2026 (1 Jan – 31 Mar 2026); "
         "FY2026 runs 1 Jan – 31 Dec 2026."),
    ],
)  # fmt: skip
def test_calendar_preview(settings, today, preview):
    assert calendar_preview(settings.calendar, today) == preview


@pytest.mark.parametrize(
    ("old", "new", "today", "counts", "sentences"),
    [
        pytest.param(
            ACME_FEB_USD, ACME_FEB_USD, NOV_23, PLANS, (), id="nothing changes",
        ),
        pytest.param(
            ACME_FEB_USD, CompanySettings("Acme", 4, "end", "USD"), OCT_15, NOTHING,
            ("Fiscal year now starts in April (was February): the current quarter Q3 FY2027 "
             "(1 Aug – 31 Oct 2026) becomes Q3 FY2027 (1 Oct – 31 Dec 2026).",),
            id="start month, empty store",
        ),
        pytest.param(
            ACME_FEB_USD, CompanySettings("Acme", 4, "end", "USD"), OCT_15, PLANS,
            ("Fiscal year now starts in April (was February): the current quarter Q3 FY2027 "
             "(1 Aug – 31 Oct 2026) becomes Q3 FY2027 (1 Oct – 31 Dec 2026).",
             "3 goals, 1 forecast and 2 budgets were loaded with period labels of the old "
             "calendar: they keep their dates (their Q3 FY2027 still means 1 Aug – 31 Oct "
             "2026), so their labels no longer match the new quarters."),
            id="start month with plans loaded",
        ),
        pytest.param(
            ACME_FEB_USD, CompanySettings("Acme", 2, "start", "USD"), NOV_23,
            StoreCounts(goals=1),
            ("Fiscal years are now named by the year they start in (were named by the year "
             "they end in): the current quarter Q4 FY2027 (1 Nov 2026 – 31 Jan 2027) becomes "
             "Q4 FY2026 (1 Nov 2026 – 31 Jan 2027).",
             "1 goal was loaded with period labels of the old calendar: it keeps its dates "
             "(its Q4 FY2027 still means 1 Nov 2026 – 31 Jan 2027), so its label no longer "
             "matches the new quarters."),
            id="naming only",
        ),
        pytest.param(
            ACME_FEB_USD, CompanySettings("Acme Corp", 7, "start", "USD"), NOV_23, NOTHING,
            ("Company name now Acme Corp (was Acme).",
             "Fiscal year now starts in July and is named by the year it starts in (was "
             "February, named by the year it ends in): the current quarter Q4 FY2027 "
             "(1 Nov 2026 – 31 Jan 2027) becomes Q2 FY2026 (1 Oct – 31 Dec 2026)."),
            id="name, month and naming",
        ),
        pytest.param(
            CompanySettings("Acme", 1, "end", "USD"), CompanySettings("Acme", 1, "start", "USD"),
            NOV_23, PLANS,
            ("Fiscal years are now named by the year they start in (were named by the year "
             "they end in): with a January start no label changes; the current quarter stays "
             "Q4 FY2026 (1 Oct – 31 Dec 2026).",),
            id="naming of a January year changes no label",
        ),
        pytest.param(
            CompanySettings("Acme", 1, "end", "USD"), CompanySettings("Acme", 1, "end", "EUR"),
            NOV_23, NOTHING,
            ("Reporting currency now EUR (was USD): no amounts are loaded yet, so nothing is "
             "restated; amounts load in EUR from now on (other currencies are converted at the "
             "exchange rates you load).",),
            id="currency of an empty store",
        ),
        pytest.param(
            CompanySettings("Acme", 1, "end", "USD"), CompanySettings("Acme", 1, "end", "GBP"),
            NOV_23, StoreCounts(goals=4, forecasts=12),
            ("Reporting currency now GBP (was USD). Amounts loaded so far stay in USD as "
             "loaded: any money among the targets of 4 goals and the values of 12 forecasts is "
             "not converted; amounts load in GBP from now on (other currencies are converted "
             "at the exchange rates you load).",),
            id="currency with goals and forecasts but no money records",
        ),
    ],
)  # fmt: skip
def test_describe_a_change(old, new, today, counts, sentences):
    assert describe_change(old, new, today, counts) == sentences


@pytest.mark.parametrize(
    ("counts", "sentences"),
    [
        pytest.param(
            NOTHING,
            ("Company name set to Acme.",
             "Fiscal year starts in April, named by the year it ends in: the current quarter is "
             "Q3 FY2027 (1 Oct – 31 Dec 2026).",
             "Reporting currency set to EUR: amounts load in EUR from now on (other "
             "currencies are converted at the exchange rates you load)."),
            id="an empty store",
        ),
        pytest.param(
            StoreCounts(goals=2),
            ("Company name set to Acme.",
             "Fiscal year now starts in April (was January, the default before set-up): the "
             "current quarter Q4 FY2026 (1 Oct – 31 Dec 2026) becomes Q3 FY2027 "
             "(1 Oct – 31 Dec 2026).",
             "2 goals were loaded with period labels of the old calendar: they keep their dates "
             "(their Q4 FY2026 still means 1 Oct – 31 Dec 2026), so their labels no longer "
             "match the new quarters.",
             "Reporting currency set to EUR. Amounts loaded so far stay in USD as loaded: any "
             "money among the targets of 2 goals is not converted; amounts load in EUR from "
             "now on (other currencies are converted at the exchange rates you load)."),
            id="goals loaded before set-up",
        ),
    ],
)  # fmt: skip
def test_describe_the_first_set_up(counts, sentences):
    new = CompanySettings("Acme", 4, "end", "EUR")
    assert describe_change(None, new, NOV_23, counts) == sentences


def test_the_first_set_up_in_the_currency_already_loaded():
    new = CompanySettings("Acme", 1, "end", "USD")
    assert describe_change(None, new, NOV_23, StoreCounts(opportunities=5)) == (
        "Company name set to Acme.",
        "Fiscal year starts in January, named by the year it ends in: the current quarter is "
        "Q4 FY2026 (1 Oct – 31 Dec 2026).",
        "Reporting currency set to USD, the currency of the amounts loaded so far.",
    )


@pytest.mark.parametrize(
    ("old", "counts", "listed"),
    [
        (ACME_FEB_USD, StoreCounts(opportunities=120, spend=300, campaigns_with_budget=1),
         "120 opportunities, 300 spend rows and 1 campaign with a budget"),
        (ACME_FEB_USD, StoreCounts(revenue=1, budgets=2, goals=5), "1 ARR row and 2 budgets"),
        (ACME_FEB_USD, StoreCounts(exchange_rates=24), "24 exchange rates"),
        (None, StoreCounts(opportunities=1), "1 opportunity"),  # loaded before set-up: USD
    ],
)  # fmt: skip
def test_a_currency_change_over_stored_amounts_says_they_are_restated(old, counts, listed):
    # Whether every amount can be restated (the rates it needs) is the store's to say:
    # core.store.currency_change refuses with CurrencyChangeError where a month lacks a rate.
    new = CompanySettings("Acme", 2, "end", "EUR")
    said = describe_change(old, new, NOV_23, counts)[-1]
    plans = " Any money among the targets of 5 goals is not converted: review them."
    assert said == (
        f"Reporting currency now EUR (was USD): the amounts already loaded ({listed}) are "
        "restated in EUR from the amounts as written, at the rates loaded, rebased through "
        "EUR's rate to USD; the upload history keeps them as reported in USD."
        + (plans if counts.goals else "")
    )
    assert issubclass(CurrencyChangeError, ValueError)


def test_describe_change_does_not_touch_its_inputs():
    old, new, counts = ACME_FEB_USD, CompanySettings("Acme", 4, "end", "USD"), PLANS
    describe_change(old, new, OCT_15, counts)
    assert (old, new, counts) == (
        CompanySettings("Acme", 2, "end", "USD"),
        CompanySettings("Acme", 4, "end", "USD"),
        StoreCounts(goals=3, forecasts=1, budgets=2),
    )
