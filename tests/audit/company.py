"""A small company built by hand for the independent audit (tests/audit/test_audit_company.py).

Everything here is plain data: the expected numbers are computed from it in the test, from the
written definitions (DOMAIN.md, the README, ``python -m core definitions --json``), never from the
product's code. The writer functions turn the data into the export files the app recognises:

- opportunities: Salesforce Data Loader exports (quoted upper-case API names, ISO dates,
  ``...T10:14:00.000Z`` timestamps, ``true``/``false``), one file per export day, named
  ``salesforce_opportunities_<day>.csv`` (the day in the name is the export's snapshot day);
- leads: HubSpot contacts exports, ``hubspot_contacts_<day>.csv``;
- generic formats for campaigns, spend, touches, MRR by account, goals and forecasts.

Fiscal year: starts in February, named by the year it ends in (Q4 FY2027 = 1 Nov 2026 - 31 Jan
2027). The audit's as-of day is Friday 20 Nov 2026, day 20 of the 92 days of Q4 FY2027.

Export days of the opportunity exports:
- 20 Nov 2025, 20 Feb 2026, 20 May 2026, 20 Aug 2026: day 20 of Q4 FY2026 .. Q3 FY2027 (the
  "same point" of the earlier quarters the forecast baseline's slip rate is measured at);
- weekly 30 Oct, 6 Nov, 13 Nov and 20 Nov 2026 (30 Oct is the last export before Q4 FY2027);
- 27 Nov 2026: exported AFTER the as-of day (one expansion deal's amount rises, a deal created on
  24 Nov appears). Nothing of it may count on 20 Nov.
The HubSpot contacts export of 27 Nov (two leads become SQLs on 24 and 25 Nov, a lead created on
22 Nov appears) and the spend export of 23 Nov (a row on 23 Nov) are also after the as-of day.

Where the written definitions leave a choice open, the data is built so that every reading gives
the same number:
- every deal seen in an open stage by an export and closed by 20 Nov is worth 10,000 in every
  version, so the baseline's stage win rates are the same by count and by amount;
- the amount due on day 20 of each earlier quarter is 50,000 every time, so the slip rate is the
  same pooled or averaged over quarters;
- no account's MRR changes in February 2026, so "ARR when FY2027 began" is the same read as
  January's or February's;
- touches are at midnight and leads are created later in the day, so days before a deal's
  creation are whole numbers and the lead-creation touch is unambiguous;
- every won or lost deal with a primary campaign is new business (the win rate's type).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

AS_OF = date(2026, 11, 20)
COMPANY_NAME = "Audit Co"
FISCAL_YEAR_START = "February"
CURRENCY = "USD"

# --------------------------------------------------------------------------------------------
# Campaigns
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Campaign:
    campaign_id: str
    name: str
    channel: str  # the store's channel key
    channel_label: str  # as written in the file


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("C-SEARCH", "Search - Brand", "paid_search", "Paid search"),
    Campaign("C-WEB", "Webinar - Board reporting", "webinars", "Webinars"),
    Campaign("C-EVENT", "Data Summit", "events", "Events"),
    Campaign("C-LI", "LinkedIn - CFO persona", "linkedin", "LinkedIn"),
    Campaign("C-PART", "Partner MDF - SI Alliance", "partners", "Partners"),
)
CAMPAIGN_BY_ID = {campaign.campaign_id: campaign for campaign in CAMPAIGNS}

# --------------------------------------------------------------------------------------------
# Opportunities: deals with their versions
# --------------------------------------------------------------------------------------------
PROSPECTING = "Prospecting"
QUALIFICATION = "Qualification"
PROPOSAL = "Proposal/Price Quote"
NEGOTIATION = "Negotiation/Review"
WON = "Closed Won"
LOST = "Closed Lost"
OPEN_STAGES = (PROSPECTING, QUALIFICATION, PROPOSAL, NEGOTIATION)
PROBABILITY = {PROSPECTING: 10, QUALIFICATION: 20, PROPOSAL: 60, NEGOTIATION: 80, WON: 100, LOST: 0}
FORECAST_CATEGORY = {
    PROSPECTING: "Pipeline",
    QUALIFICATION: "Pipeline",
    PROPOSAL: "Best Case",
    NEGOTIATION: "Commit",
    WON: "Closed",
    LOST: "Omitted",
}

# Salesforce Type picklist values, and what the store reads them as.
TYPE_LABEL = {
    "new_business": "New Business",
    "expansion": "Existing Customer - Upgrade",
    "renewal": "Existing Customer - Renewal",
}
# Salesforce Lead Source values used here, and the store's channel each reads as.
LEAD_SOURCE_CHANNEL = {
    "Paid Search": "paid_search",
    "Webinar": "webinars",
    "Trade Show": "events",
    "LinkedIn": "linkedin",
    "Partner Referral": "partners",
    "Organic Search": "content_seo",
    "Facebook": "paid_social",
    "Cold Call": "outbound",
    "Web": "direct",
    "Sales Generated": "sales",
    "Existing Customer": "customer",
}


@dataclass(frozen=True)
class Version:
    """A deal's state from ``since`` until its next version."""

    since: date
    stage: str
    amount: Decimal
    close: date


@dataclass(frozen=True)
class Deal:
    deal_id: str
    account_id: str
    kind: str  # new_business, expansion, renewal
    lead_source: str  # Salesforce Lead Source value
    campaign_id: str  # primary campaign ("" for none)
    created: date
    versions: tuple[Version, ...]

    @property
    def channel(self) -> str:
        return LEAD_SOURCE_CHANNEL[self.lead_source]

    def state_on(self, day: date) -> Version | None:
        """The deal as an export on ``day`` shows it (None: not created yet)."""
        if self.created > day:
            return None
        state = None
        for version in self.versions:
            if version.since <= day:
                state = version
        return state


def _d(text: str) -> date:
    return date.fromisoformat(text)


def _v(since: str, stage: str, amount: int, close: str) -> Version:
    return Version(_d(since), stage, Decimal(amount), _d(close))


def _deal(
    deal_id: str,
    account_id: str,
    kind: str,
    lead_source: str,
    campaign_id: str,
    *versions: Version,
) -> Deal:
    return Deal(deal_id, account_id, kind, lead_source, campaign_id, versions[0].since, versions)


NB, EXP, REN = "new_business", "expansion", "renewal"
P, Q, PR, NG, W, L = PROSPECTING, QUALIFICATION, PROPOSAL, NEGOTIATION, WON, LOST

DEALS: tuple[Deal, ...] = (
    # Q3 FY2026 (Aug-Oct 2025): two deals won before any export
    _deal("H00A", "A17", NB, "Paid Search", "",
          _v("2025-08-01", P, 15000, "2025-08-30"), _v("2025-08-12", W, 15000, "2025-08-12")),
    _deal("H00B", "A18", NB, "Trade Show", "",
          _v("2025-08-25", Q, 20000, "2025-10-15"), _v("2025-10-10", W, 20000, "2025-10-10")),
    # Due in Q4 FY2026 on its day 20 (20 Nov 2025): H01-H05, 50,000; H02 slips to Q1 FY2027
    _deal("H01", "A19", NB, "Webinar", "",
          _v("2025-09-10", Q, 10000, "2025-12-10"), _v("2025-11-01", PR, 10000, "2025-12-10"),
          _v("2025-12-10", W, 10000, "2025-12-10")),
    _deal("H02", "A20", NB, "Partner Referral", "",
          _v("2025-10-01", Q, 10000, "2026-01-20"), _v("2026-01-25", Q, 10000, "2026-03-20"),
          _v("2026-02-15", PR, 10000, "2026-03-20"), _v("2026-03-18", W, 10000, "2026-03-18")),
    _deal("H03", "A01", EXP, "Existing Customer", "",
          _v("2025-10-15", NG, 10000, "2025-11-28"), _v("2025-11-28", W, 10000, "2025-11-28")),
    _deal("H04", "A21", NB, "Paid Search", "",
          _v("2025-11-03", Q, 10000, "2026-01-15"), _v("2026-01-15", L, 10000, "2026-01-15")),
    _deal("H05", "A22", NB, "Sales Generated", "",
          _v("2025-11-05", PR, 10000, "2026-01-25"), _v("2026-01-22", L, 10000, "2026-01-22")),
    _deal("H06", "A23", NB, "LinkedIn", "",
          _v("2025-11-02", NG, 25000, "2025-11-30"), _v("2025-11-12", W, 25000, "2025-11-12")),
    _deal("H07", "A24", NB, "Organic Search", "",
          _v("2025-12-15", NG, 10000, "2026-03-05"), _v("2026-03-05", W, 10000, "2026-03-05")),
    _deal("H08", "A25", NB, "Sales Generated", "",
          _v("2026-01-10", Q, 10000, "2026-04-20"), _v("2026-04-10", L, 10000, "2026-04-10")),
    # Due in Q1 FY2027 on its day 20 (20 Feb 2026): H02, H07, H08, H09, H10, 50,000; none slips
    _deal("H09", "A04", EXP, "Existing Customer", "",
          _v("2026-01-20", PR, 10000, "2026-04-25"), _v("2026-04-25", W, 10000, "2026-04-25")),
    _deal("H10", "A26", NB, "Facebook", "",
          _v("2026-02-03", Q, 10000, "2026-04-28"), _v("2026-04-28", W, 10000, "2026-04-28")),
    _deal("H11", "A27", NB, "Trade Show", "",
          _v("2026-02-02", NG, 30000, "2026-02-28"), _v("2026-02-12", W, 30000, "2026-02-12")),
    # Due in Q2 FY2027 on its day 20 (20 May 2026): H12-H16, 50,000; H13 and H15 slip
    _deal("H12", "A28", NB, "Webinar", "",
          _v("2026-03-01", PR, 10000, "2026-06-15"), _v("2026-06-15", W, 10000, "2026-06-15")),
    _deal("H13", "A29", NB, "Cold Call", "",
          _v("2026-04-01", Q, 10000, "2026-07-20"), _v("2026-07-25", NG, 10000, "2026-08-25"),
          _v("2026-08-25", W, 10000, "2026-08-25")),
    _deal("H14", "A30", NB, "Sales Generated", "",
          _v("2026-04-15", NG, 10000, "2026-06-01"), _v("2026-06-01", L, 10000, "2026-06-01")),
    _deal("H15", "A31", NB, "Paid Search", "",
          _v("2026-05-05", Q, 10000, "2026-07-25"), _v("2026-07-28", Q, 10000, "2026-09-30"),
          _v("2026-09-28", L, 10000, "2026-09-28")),
    _deal("H16", "A07", EXP, "Existing Customer", "",
          _v("2026-05-06", PR, 10000, "2026-07-10"), _v("2026-07-10", W, 10000, "2026-07-10")),
    _deal("H17", "A32", NB, "Partner Referral", "",
          _v("2026-05-04", NG, 20000, "2026-05-31"), _v("2026-05-15", W, 20000, "2026-05-15")),
    # Due in Q3 FY2027 on its day 20 (20 Aug 2026): H13, H15, H18, H19, H20, 50,000; H19 slips
    _deal("H18", "A33", NB, "Web", "",
          _v("2026-06-10", PR, 10000, "2026-09-15"), _v("2026-09-15", W, 10000, "2026-09-15")),
    _deal("H19", "A34", NB, "Trade Show", "",
          _v("2026-07-01", NG, 10000, "2026-10-20"), _v("2026-10-18", NG, 10000, "2026-11-25"),
          _v("2026-11-10", NG, 8000, "2026-11-25")),
    _deal("H20", "A13", EXP, "Existing Customer", "",
          _v("2026-07-15", Q, 10000, "2026-10-10"), _v("2026-10-05", L, 10000, "2026-10-05")),
    _deal("H21", "A35", NB, "Paid Search", "",
          _v("2026-08-03", NG, 40000, "2026-08-31"), _v("2026-08-14", W, 40000, "2026-08-14")),
    _deal("R01", "A02", REN, "Existing Customer", "",
          _v("2026-08-21", NG, 48000, "2026-08-31"), _v("2026-08-28", W, 48000, "2026-08-28")),
    # Q4 FY2027 and after
    _deal("Q01", "A36", NB, "Paid Search", "C-SEARCH",
          _v("2026-09-05", Q, 10000, "2026-11-12"), _v("2026-10-15", PR, 10000, "2026-11-12"),
          _v("2026-11-02", NG, 10000, "2026-11-12"), _v("2026-11-12", W, 10000, "2026-11-12")),
    _deal("Q02", "A37", NB, "Webinar", "C-WEB",
          _v("2026-09-20", Q, 10000, "2026-12-15"), _v("2026-11-10", L, 10000, "2026-11-10")),
    _deal("Q03", "A38", NB, "Trade Show", "C-EVENT",
          _v("2026-10-01", PR, 40000, "2026-12-20"), _v("2026-11-09", PR, 50000, "2026-12-20")),
    _deal("Q04", "A39", NB, "LinkedIn", "C-LI",
          _v("2026-10-05", NG, 30000, "2027-01-15"), _v("2026-11-03", NG, 25000, "2027-01-15"),
          _v("2026-11-17", NG, 25000, "2027-02-20")),
    _deal("Q05", "A08", EXP, "Existing Customer", "",
          _v("2026-10-12", Q, 20000, "2027-01-20"), _v("2026-11-25", Q, 35000, "2027-01-20")),
    _deal("Q06", "A40", NB, "Partner Referral", "C-PART",
          _v("2026-09-25", Q, 15000, "2027-02-10"), _v("2026-11-11", Q, 15000, "2027-01-25"),
          _v("2026-11-18", Q, 18000, "2027-01-25")),
    _deal("Q07", "A41", NB, "Paid Search", "C-SEARCH",
          _v("2026-11-03", P, 12000, "2027-01-30"), _v("2026-11-16", Q, 12000, "2027-01-30")),
    _deal("Q08", "A42", NB, "Webinar", "C-WEB",
          _v("2026-11-04", PR, 10000, "2026-12-20"), _v("2026-11-18", W, 10000, "2026-11-18")),
    _deal("Q09", "A02", EXP, "Existing Customer", "",
          _v("2026-11-14", NG, 22000, "2026-11-30"), _v("2026-11-16", W, 22000, "2026-11-16")),
    _deal("Q10", "A43", NB, "Trade Show", "C-EVENT",
          _v("2026-10-31", Q, 16000, "2027-01-10")),
    _deal("Q11", "A44", NB, "Sales Generated", "",
          _v("2026-11-05", Q, 9000, "2027-03-10")),
    _deal("Q12", "A45", NB, "LinkedIn", "C-LI",
          _v("2026-11-10", P, 14000, "2026-12-28"), _v("2026-11-19", L, 14000, "2026-11-19")),
    _deal("Q14", "A10", EXP, "Existing Customer", "",
          _v("2026-11-02", PR, 27000, "2027-03-31")),
    _deal("R02", "A04", REN, "Existing Customer", "",
          _v("2026-10-20", NG, 36000, "2027-04-15")),
    # Created after the as-of day: only the 27 Nov export holds it
    _deal("Q15", "A46", NB, "Paid Search", "C-SEARCH",
          _v("2026-11-24", P, 11000, "2027-01-29")),
)  # fmt: skip

HISTORY_EXPORT_DAYS = (_d("2025-11-20"), _d("2026-02-20"), _d("2026-05-20"), _d("2026-08-20"))
WEEKLY_EXPORT_DAYS = (_d("2026-10-30"), _d("2026-11-06"), _d("2026-11-13"), _d("2026-11-20"))
LATE_EXPORT_DAY = _d("2026-11-27")  # after the as-of day
EXPORT_DAYS = (*HISTORY_EXPORT_DAYS, *WEEKLY_EXPORT_DAYS, LATE_EXPORT_DAY)

# --------------------------------------------------------------------------------------------
# Revenue: MRR by account and month (changes only; the MRR holds until the next change, 0 means
# no revenue). ARR = MRR x 12.
# --------------------------------------------------------------------------------------------
FIRST_MONTH = (2025, 7)
LAST_MONTH = (2026, 11)


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    segment: str
    mrr_changes: tuple[tuple[str, int], ...]  # (first month "YYYY-MM", MRR from then on)
    # months written as an explicit 0 row rather than left out of the billing export
    zero_rows: tuple[str, ...] = ()
    # an earlier segment, for months before a given month: (until month, segment)
    earlier_segment: tuple[str, str] | None = None


ACCOUNTS: tuple[Account, ...] = (
    Account("A01", "Northwave Labs", "Enterprise", (("2025-07", 5000), ("2026-03", 6000))),
    Account("A02", "Bluepeak Health", "Enterprise", (("2025-07", 4000), ("2025-12", 3500))),
    Account("A03", "Crestmoor Hotels", "Mid-Market", (("2025-07", 2000), ("2026-03", 0)),
            zero_rows=("2026-03", "2026-04", "2026-05")),
    Account("A04", "Pellston Clinics", "Mid-Market", (("2025-07", 1500),)),
    Account("A05", "Orchard Lane", "SMB", (("2025-07", 500), ("2025-10", 0), ("2026-05", 600))),
    Account("A06", "Fairhaven Legal", "Mid-Market", (("2025-07", 800),),
            earlier_segment=("2026-06", "SMB")),
    Account("A07", "Greyfriars Labs", "Mid-Market", (("2025-09", 1200), ("2026-08", 1500))),
    Account("A08", "Sable Point Energy", "Enterprise", (("2025-11", 7000), ("2026-11", 6000))),
    Account("A09", "Ironvale Mutual", "SMB", (("2026-01", 400), ("2026-09", 0))),
    Account("A10", "Marlow Street", "Mid-Market", (("2026-03", 2500),)),
    Account("A11", "Tidewater Bakery", "SMB", (("2025-07", 300), ("2026-11", 0))),
    Account("A12", "Halcyon Freight", "Enterprise", (("2026-11", 9000),)),
    Account("A13", "Kestrel Foods", "Mid-Market",
            (("2025-07", 1000), ("2025-08", 1300), ("2026-10", 1100))),
    Account("A14", "Juniper Dental", "SMB", (("2026-04", 700), ("2026-11", 900))),
    Account("A15", "Quarry Row", "Mid-Market", (("2025-07", 1800), ("2026-01", 0), ("2026-10", 1600))),
    Account("A16", "Lumen Yoga", "SMB", (("2025-09", 1250),)),
)  # fmt: skip


def months() -> list[str]:
    """Every month of the billing export, ``YYYY-MM``."""
    year, month = FIRST_MONTH
    out = []
    while (year, month) <= LAST_MONTH:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def mrr(account: Account, month: str) -> int:
    """The account's MRR in ``month`` (0 before its first month and after churn)."""
    value = 0
    for first, amount in account.mrr_changes:
        if first <= month:
            value = amount
    return value


def segment_in(account: Account, month: str) -> str:
    if account.earlier_segment is not None and month < account.earlier_segment[0]:
        return account.earlier_segment[1]
    return account.segment


# --------------------------------------------------------------------------------------------
# Leads (HubSpot contacts). Times are HubSpot's "YYYY-MM-DD HH:MM".
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lead:
    record_id: str
    email: str
    account_id: str  # "" when not linked to an account
    created: str
    source: str  # HubSpot Original Source
    campaign_id: str  # Original Campaign ("" for none)
    mql: str = ""
    sql: str = ""
    opportunity: str = ""
    customer: str = ""
    first_engaged: str = ""
    status: str = "Open"
    # later changes, seen only by exports on or after their day: (day, field, value)
    later: tuple[tuple[str, str, str], ...] = ()


SOURCE_CHANNEL = {
    "Paid Search": "paid_search",
    "Other Campaigns": "webinars",
    "Offline Sources": "events",
    "Paid Social / LinkedIn": "linkedin",
    "Referrals": "partners",
    "Direct Traffic": "direct",
}
LEADS: tuple[Lead, ...] = (
    Lead("501", "olivia@a41.example", "A41", "2026-10-01 10:00", "Other Campaigns", "C-WEB",
         mql="2026-10-05 09:00", sql="2026-11-02 10:00", opportunity="2026-11-03 10:00",
         first_engaged="2026-10-05 15:00", status="Connected"),
    Lead("502", "liam@a42.example", "A42", "2026-10-15 11:00", "Other Campaigns", "C-WEB",
         mql="2026-11-01 09:00", sql="2026-11-03 12:00", opportunity="2026-11-04 10:00",
         customer="2026-11-18 16:00", first_engaged="2026-11-01 13:00", status="Connected"),
    Lead("503", "maya@a45.example", "A45", "2026-10-25 09:00", "Paid Social / LinkedIn", "C-LI",
         mql="2026-11-05 10:00", later=(("2026-11-24", "sql", "2026-11-24 10:00"),)),
    Lead("504", "noah@a36.example", "A36", "2026-07-01 12:00", "Paid Search", "C-SEARCH",
         mql="2026-07-05 09:00", sql="2026-08-01 09:00", opportunity="2026-09-05 09:00",
         customer="2026-11-12 15:00", first_engaged="2026-07-06 10:00", status="Connected"),
    Lead("505", "emma@a02.example", "A02", "2026-10-01 11:00", "Other Campaigns", "C-WEB",
         mql="2026-11-06 09:00", sql="2026-11-12 09:00", status="Connected"),
    Lead("506", "ava@lead.example", "", "2026-11-02 08:00", "Paid Search", "C-SEARCH",
         mql="2026-11-04 08:00", sql="2026-11-10 08:00", status="Connected"),
    Lead("507", "mia@lead.example", "", "2026-11-03 08:00", "Paid Search", "C-SEARCH",
         mql="2026-11-08 08:00", status="Recycled"),
    Lead("508", "zoe@lead.example", "", "2026-11-06 08:00", "Paid Search", "C-SEARCH"),
    Lead("509", "ella@lead.example", "", "2026-11-09 08:00", "Other Campaigns", "C-WEB",
         mql="2026-11-10 08:00", sql="2026-11-15 08:00", status="Connected"),
    Lead("510", "lily@lead.example", "", "2026-11-11 08:00", "Other Campaigns", "C-WEB",
         mql="2026-11-12 08:00", later=(("2026-11-25", "sql", "2026-11-25 08:00"),)),
    Lead("511", "ruby@lead.example", "", "2026-11-12 08:00", "Offline Sources", "C-EVENT",
         mql="2026-11-13 08:00", sql="2026-11-19 08:00", status="Connected"),
    Lead("512", "ivy@lead.example", "", "2026-11-14 08:00", "Offline Sources", "C-EVENT"),
    Lead("513", "jack@lead.example", "", "2026-11-15 08:00", "Direct Traffic", "",
         mql="2026-11-16 08:00"),
    Lead("514", "leo@lead.example", "", "2026-11-18 08:00", "Paid Social / LinkedIn", "C-LI",
         mql="2026-11-19 08:00"),
    Lead("515", "max@lead.example", "", "2026-11-19 08:00", "Referrals", "C-PART"),
    # created after the as-of day: only the 27 Nov export holds it
    Lead("516", "sam@lead.example", "", "2026-11-22 08:00", "Paid Search", "C-SEARCH",
         mql="2026-11-23 08:00"),
)  # fmt: skip
LEAD_EXPORT_DAY = AS_OF
LATE_LEAD_EXPORT_DAY = _d("2026-11-27")

# --------------------------------------------------------------------------------------------
# Touches (all at midnight), spend, goals, forecasts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Touch:
    touch_id: str
    day: str
    account_id: str
    email: str
    campaign_id: str
    touch_type: str


TOUCHES: tuple[Touch, ...] = (
    Touch("T01", "2026-06-01", "A36", "noah@a36.example", "C-SEARCH", "Ad click"),
    Touch("T02", "2026-07-01", "A36", "noah@a36.example", "C-SEARCH", "Ad click"),
    Touch("T03", "2026-08-15", "A36", "noah@a36.example", "C-EVENT", "Booth scan"),
    Touch("T04", "2026-08-01", "A41", "olivia@a41.example", "C-LI", "Ad click"),
    Touch("T05", "2026-09-10", "A41", "olivia@a41.example", "C-SEARCH", "Ad click"),
    Touch("T06", "2026-10-01", "A41", "olivia@a41.example", "C-WEB", "Webinar attended"),
    Touch("T07", "2026-10-20", "A41", "olivia@a41.example", "C-EVENT", "Booth scan"),
    Touch("T08", "2026-11-02", "A41", "olivia@a41.example", "C-SEARCH", "Ad click"),
    Touch("T09", "2026-10-15", "A42", "liam@a42.example", "C-WEB", "Webinar attended"),
    Touch("T10", "2026-11-04", "A42", "liam@a42.example", "C-WEB", "Webinar attended"),
    Touch("T11", "2026-10-20", "A45", "maya@a45.example", "C-LI", "Ad click"),
    Touch("T12", "2026-11-01", "A45", "maya@a45.example", "C-LI", "Ad click"),
    Touch("T13", "2026-11-08", "A45", "maya@a45.example", "C-PART", "Partner referral"),
    Touch("T14", "2026-10-01", "A02", "emma@a02.example", "C-WEB", "Webinar attended"),
    Touch("T15", "2026-11-10", "A02", "emma@a02.example", "C-EVENT", "Booth scan"),
)


@dataclass(frozen=True)
class SpendRow:
    day: str
    campaign_id: str  # "" for a channel's own spend
    channel: str  # the store's channel key
    amount: Decimal


def _s(day: str, campaign_id: str, channel: str, amount: str) -> SpendRow:
    return SpendRow(day, campaign_id, channel, Decimal(amount))


SPEND: tuple[SpendRow, ...] = (
    _s("2026-08-03", "C-SEARCH", "paid_search", "1000.00"),
    _s("2026-08-12", "C-EVENT", "events", "6000.00"),
    _s("2026-09-07", "C-SEARCH", "paid_search", "1100.00"),
    _s("2026-09-14", "C-WEB", "webinars", "2500.00"),
    _s("2026-09-15", "", "content_seo", "750.00"),
    _s("2026-09-21", "C-PART", "partners", "1500.00"),
    _s("2026-10-05", "C-SEARCH", "paid_search", "1200.00"),
    _s("2026-10-12", "C-LI", "linkedin", "900.00"),
    _s("2026-11-02", "C-SEARCH", "paid_search", "1250.50"),
    _s("2026-11-03", "C-LI", "linkedin", "450.10"),
    _s("2026-11-05", "C-WEB", "webinars", "2400.00"),
    _s("2026-11-09", "C-SEARCH", "paid_search", "1310.25"),
    _s("2026-11-10", "C-EVENT", "events", "5000.00"),
    _s("2026-11-10", "C-LI", "linkedin", "300.20"),
    _s("2026-11-12", "", "content_seo", "800.00"),
    _s("2026-11-16", "C-SEARCH", "paid_search", "1199.99"),
    _s("2026-11-19", "C-WEB", "webinars", "600.00"),
    _s("2026-11-23", "C-SEARCH", "paid_search", "1400.00"),  # after the as-of day
)
SPEND_EXPORT_DAY = _d("2026-11-23")  # the finance export runs past the as-of day
CHANNEL_LABEL = {
    "paid_search": "Paid search",
    "webinars": "Webinars",
    "events": "Events",
    "linkedin": "LinkedIn",
    "partners": "Partners",
    "content_seo": "Content & SEO",
}


@dataclass(frozen=True)
class Goal:
    goal_id: str
    parent_goal_id: str
    level: str
    name: str
    metric: str
    target: Decimal
    period: str
    owner: str
    direction: str
    campaign_id: str = ""


GOALS: tuple[Goal, ...] = (
    Goal("G-FY27-BOOK", "", "annual", "Bookings FY2027", "bookings", Decimal(400000), "FY2027",
         "Pat Chen", "higher"),
    Goal("G-Q3-BOOK", "G-FY27-BOOK", "quarterly", "Bookings Q3 FY2027", "bookings",
         Decimal(60000), "Q3 FY2027", "Sam Ortiz", "higher"),
    Goal("G-Q4-BOOK", "G-FY27-BOOK", "quarterly", "Bookings Q4 FY2027", "bookings",
         Decimal(160000), "Q4 FY2027", "Sam Ortiz", "higher"),
    Goal("G-Q1-28-BOOK", "", "quarterly", "Bookings Q1 FY2028", "bookings", Decimal(130000),
         "Q1 FY2028", "Sam Ortiz", "higher"),
    Goal("G-Q4-PIPE", "", "quarterly", "Pipeline created Q4 FY2027", "pipeline_created",
         Decimal(150000), "Q4 FY2027", "Sam Ortiz", "higher"),
    Goal("G-Q4-SRC", "G-Q4-PIPE", "quarterly", "Marketing-sourced pipeline Q4 FY2027",
         "sourced_pipeline", Decimal(100000), "Q4 FY2027", "Dana Whitfield", "higher"),
    Goal("G-Q4-MQL", "", "quarterly", "MQLs Q4 FY2027", "mqls", Decimal(30), "Q4 FY2027",
         "Dana Whitfield", "higher"),
    Goal("G-CMP-WEB", "G-Q4-MQL", "campaign", "Webinar MQLs Q4 FY2027", "mqls", Decimal(8),
         "Q4 FY2027", "Lena Fischer", "higher", "C-WEB"),
    Goal("G-Q4-CPM", "", "quarterly", "Cost per MQL Q4 FY2027", "cost_per_mql", Decimal(900),
         "Q4 FY2027", "Dana Whitfield", "lower"),
    Goal("G-ARR", "", "annual", "ARR at the end of FY2027", "arr", Decimal(500000), "FY2027",
         "Pat Chen", "higher"),
)  # fmt: skip


@dataclass(frozen=True)
class Call:
    """One submission: commit, most likely and best case on one day."""

    submitted_on: str
    period: str
    metric: str
    forecaster: str
    commit: int
    most_likely: int
    best_case: int


def _calls(
    forecaster: str, metric: str, period: str, *rows: tuple[str, int, int, int]
) -> list[Call]:
    return [Call(day, period, metric, forecaster, c, m, b) for day, c, m, b in rows]


# Bookings calls 75, 40 and 10 days before each period's end (10.7, 5.7 and 1.4 weeks).
FORECASTS: tuple[Call, ...] = (
    *_calls("Dana Whitfield", "bookings", "Q4 FY2026",
            ("2025-11-17", 50000, 60000, 70000), ("2025-12-22", 46000, 52000, 58000),
            ("2026-01-21", 44000, 47000, 50000)),
    *_calls("Dana Whitfield", "bookings", "Q1 FY2027",
            ("2026-02-14", 70000, 80000, 90000), ("2026-03-21", 70000, 75000, 82000),
            ("2026-04-20", 68000, 72000, 76000)),
    *_calls("Dana Whitfield", "bookings", "Q2 FY2027",
            ("2026-05-17", 48000, 55000, 62000), ("2026-06-21", 42000, 46000, 52000),
            ("2026-07-21", 42000, 44000, 48000)),
    *_calls("Dana Whitfield", "bookings", "Q3 FY2027",
            ("2026-08-17", 62000, 70000, 78000), ("2026-09-21", 58000, 64000, 70000),
            ("2026-10-21", 55000, 57000, 62000)),
    *_calls("Dana Whitfield", "bookings", "Q4 FY2027",
            ("2026-10-20", 150000, 170000, 190000), ("2026-11-17", 130000, 150000, 175000),
            ("2026-11-24", 140000, 160000, 180000)),  # the last one after the as-of day
    *_calls("Marcus Lee", "bookings", "Q4 FY2026",
            ("2025-11-17", 36000, 40000, 46000), ("2025-12-22", 38000, 42000, 47000),
            ("2026-01-21", 40000, 43000, 46000)),
    *_calls("Marcus Lee", "bookings", "Q1 FY2027",
            ("2026-02-14", 55000, 60000, 66000), ("2026-03-21", 60000, 66000, 70000),
            ("2026-04-20", 65000, 69000, 69500)),
    *_calls("Marcus Lee", "bookings", "Q2 FY2027",
            ("2026-05-17", 27000, 30000, 35000), ("2026-06-21", 33000, 36000, 40000),
            ("2026-07-21", 36000, 38500, 41000)),
    *_calls("Marcus Lee", "bookings", "Q3 FY2027",
            ("2026-08-17", 45000, 50000, 56000), ("2026-09-21", 50000, 55000, 60000),
            ("2026-10-21", 50000, 53000, 56000)),
    *_calls("Marcus Lee", "bookings", "Q4 FY2027",
            ("2026-10-20", 110000, 120000, 140000), ("2026-11-17", 115000, 130000, 145000),
            ("2026-11-24", 120000, 135000, 150000)),
    *_calls("Dana Whitfield", "pipeline_created", "Q3 FY2027",
            ("2026-10-21", 150000, 160000, 175000)),
    *_calls("Dana Whitfield", "pipeline_created", "Q4 FY2027",
            ("2026-11-17", 120000, 140000, 160000)),
)  # fmt: skip

# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _write(path: Path, header: list[str], rows: list[list[str]], quote_all: bool = False) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(
            handle, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n"
        )
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_opportunity_export(folder: Path, day: date) -> Path:
    """Salesforce Data Loader export of every deal as it stood on ``day``."""
    header = [
        "ID", "ACCOUNTID", "NAME", "STAGENAME", "AMOUNT", "CLOSEDATE", "CREATEDDATE", "TYPE",
        "LEADSOURCE", "ISCLOSED", "ISWON", "CAMPAIGNID", "PROBABILITY", "FORECASTCATEGORYNAME",
    ]  # fmt: skip
    rows = []
    for deal in DEALS:
        state = deal.state_on(day)
        if state is None:
            continue
        rows.append(
            [
                f"006AUDIT{deal.deal_id}",
                deal.account_id,
                f"{deal.account_id} - {deal.deal_id}",
                state.stage,
                f"{state.amount:.1f}",
                state.close.isoformat(),
                f"{deal.created.isoformat()}T10:14:00.000Z",
                TYPE_LABEL[deal.kind],
                deal.lead_source,
                "true" if state.stage in (WON, LOST) else "false",
                "true" if state.stage == WON else "false",
                deal.campaign_id,
                str(PROBABILITY[state.stage]),
                FORECAST_CATEGORY[state.stage],
            ]
        )
    return _write(folder / f"salesforce_opportunities_{day.isoformat()}.csv", header, rows, True)


def lead_on(lead: Lead, day: date) -> dict[str, str] | None:
    if date.fromisoformat(lead.created[:10]) > day:
        return None
    values = {
        "mql": lead.mql,
        "sql": lead.sql,
        "opportunity": lead.opportunity,
        "customer": lead.customer,
        "status": lead.status,
    }
    for since, field, value in lead.later:
        if date.fromisoformat(since) <= day:
            values[field] = value
    for field in ("mql", "sql", "opportunity", "customer"):
        if values[field] and date.fromisoformat(values[field][:10]) > day:
            values[field] = ""
    return values


def write_leads_export(folder: Path, day: date) -> Path:
    """HubSpot contacts export as it stood on ``day``."""
    header = [
        "Record ID", "Email", "Company Name", "Salesforce Account ID", "Lifecycle Stage",
        "Lead Status", "Create Date", "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date", "Became an Opportunity Date",
        "Became a Customer Date", "Date of first engagement", "Original Source",
        "Original Campaign",
    ]  # fmt: skip
    rows = []
    for lead in LEADS:
        values = lead_on(lead, day)
        if values is None:
            continue
        stage = "Lead"
        for field, label in (
            ("mql", "Marketing Qualified Lead"),
            ("sql", "Sales Qualified Lead"),
            ("opportunity", "Opportunity"),
            ("customer", "Customer"),
        ):
            if values[field]:
                stage = label
        campaign = CAMPAIGN_BY_ID[lead.campaign_id].name if lead.campaign_id else ""
        rows.append(
            [
                lead.record_id,
                lead.email,
                lead.email.split("@")[1],
                lead.account_id,
                stage,
                values["status"],
                lead.created,
                values["mql"],
                values["sql"],
                values["opportunity"],
                values["customer"],
                lead.first_engaged,
                lead.source,
                campaign,
            ]
        )
    return _write(folder / f"hubspot_contacts_{day.isoformat()}.csv", header, rows)


def write_campaigns(folder: Path) -> Path:
    header = ["campaign_id", "campaign_name", "channel", "objective", "start_date", "end_date",
              "budget", "goal_id", "owner"]  # fmt: skip
    rows = [
        [c.campaign_id, c.name, c.channel_label, "Demand generation", "2026-06-01",
         "2027-01-31", "20000", "", "Lena Fischer"]
        for c in CAMPAIGNS
    ]  # fmt: skip
    return _write(folder / "campaigns.csv", header, rows)


def write_spend(folder: Path) -> Path:
    header = ["date", "campaign_id", "campaign_name", "channel", "amount", "currency"]
    rows = [
        [
            row.day,
            row.campaign_id,
            CAMPAIGN_BY_ID[row.campaign_id].name if row.campaign_id else "",
            CHANNEL_LABEL[row.channel],
            f"{row.amount:.2f}",
            "USD",
        ]
        for row in SPEND
    ]
    return _write(folder / f"marketing_spend_{SPEND_EXPORT_DAY.isoformat()}.csv", header, rows)


def write_touches(folder: Path) -> Path:
    header = ["touch_id", "touched_at", "email", "account_id", "campaign_id", "channel",
              "touch_type"]  # fmt: skip
    rows = [
        [t.touch_id, f"{t.day} 00:00:00", t.email, t.account_id, t.campaign_id,
         CHANNEL_LABEL[CAMPAIGN_BY_ID[t.campaign_id].channel], t.touch_type]
        for t in TOUCHES
    ]  # fmt: skip
    return _write(folder / f"campaign_touches_{AS_OF.isoformat()}.csv", header, rows)


def write_revenue(folder: Path) -> Path:
    """Billing MRR by account and month: a row per month with MRR, an explicit 0 row where the
    account says so, nothing otherwise."""
    header = ["account_id", "account_name", "month", "mrr", "currency", "segment"]
    rows = []
    for account in ACCOUNTS:
        for month in months():
            value = mrr(account, month)
            if value == 0 and month not in account.zero_rows:
                continue
            rows.append(
                [
                    account.account_id,
                    account.name,
                    month,
                    f"{value:.2f}",
                    "USD",
                    segment_in(account, month),
                ]
            )
    return _write(folder / f"billing_mrr_by_account_{AS_OF.isoformat()}.csv", header, rows)


def write_goals(folder: Path) -> Path:
    header = ["goal_id", "parent_goal_id", "level", "goal_name", "metric", "target", "period",
              "period_start", "period_end", "owner", "direction", "campaign_id"]  # fmt: skip
    rows = [
        [g.goal_id, g.parent_goal_id, g.level, g.name, g.metric, str(g.target), g.period, "",
         "", g.owner, g.direction, g.campaign_id]
        for g in GOALS
    ]  # fmt: skip
    return _write(folder / "goals.csv", header, rows)


def write_forecasts(folder: Path) -> Path:
    header = ["forecast_id", "submitted_on", "period", "metric", "value", "category", "forecaster"]
    rows = []
    for call in FORECASTS:
        for category, value in (
            ("commit", call.commit),
            ("most likely", call.most_likely),
            ("best case", call.best_case),
        ):
            rows.append(
                ["", call.submitted_on, call.period, call.metric, str(value), category,
                 call.forecaster]
            )  # fmt: skip
    return _write(folder / "forecasts.csv", header, rows)


def write_all(folder: Path) -> list[Path]:
    """Every file, in the order they are loaded (campaigns before the goal that names one)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        write_campaigns(folder),
        write_goals(folder),
        write_forecasts(folder),
        write_revenue(folder),
        write_spend(folder),
        write_touches(folder),
        write_leads_export(folder, LEAD_EXPORT_DAY),
        write_leads_export(folder, LATE_LEAD_EXPORT_DAY),
        *(write_opportunity_export(folder, day) for day in EXPORT_DAYS),
    ]


def timestamp(text: str) -> datetime:
    """A HubSpot ``YYYY-MM-DD HH:MM`` time."""
    return datetime.fromisoformat(text)
