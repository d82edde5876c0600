"""Export formats the store reads: how each is recognised, and what each column means.

A :class:`Preset` describes one vendor shape (a Salesforce Data Loader export, a Google Ads
report, ...) or one documented generic format. It is recognised from the file's header alone:
every header in its ``signature`` must be present. Its :class:`Field` list says which file
column supplies which value and how that value is parsed; the pipeline turns fields into the
store's canonical columns (``core.store.ingest.pipeline``).

Header names are compared after :func:`normalize_header` (case, spacing, underscores and
byte-order marks do not matter), so ``Campaign_ID``, ``campaign id`` and ``Campaign ID`` match.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Parse = Literal[
    "text",
    "number",
    "integer",
    "date",
    "timestamp",
    "month",
    "boolean",
    "percent",
    "channel",
    "opportunity_type",
    "lifecycle_stage",
    "forecast_category",
    "period",
    "level",
    "direction",
    "currency",
]


def normalize_header(name: str) -> str:
    """``  Campaign_ID\ufeff`` -> ``campaign id``: the form headers are compared in."""
    text = name.replace("\ufeff", "").replace("_", " ").strip().strip('"').strip().lower()
    return re.sub(r"\s+", " ", text)


@dataclass(frozen=True)
class Field:
    """A value the format supplies: which headers may hold it and how it is parsed."""

    name: str
    headers: tuple[str, ...]
    parse: Parse = "text"
    required: bool = False
    description: str = ""
    prefix: bool = False  # headers match by prefix: "amount spent (" matches "Amount spent (USD)"
    label: str = ""  # the column as the export names it, for messages and forms

    def matches(self, header: str) -> bool:
        """Whether a normalized file header supplies this field."""
        if self.prefix:
            return any(header.startswith(candidate) for candidate in self.headers)
        return header in self.headers


@dataclass(frozen=True)
class Preset:
    """One export format."""

    name: str
    label: str
    kind: str
    signature: tuple[str, ...]
    fields: tuple[Field, ...]
    constants: Mapping[str, str] = field(default_factory=dict)
    snapshot_from: Literal["file_name", "date_range", "upload_day"] = "file_name"
    # Headers that rule the format out: a report with a Day column is not the totals report.
    excludes: tuple[str, ...] = ()
    # What to do in the vendor's own tool when the file lacks what the app needs.
    hint: str = ""
    # Rows that repeat a key (Meta names boosted posts alike on one day) are added together
    # into one record instead of being refused as duplicates.
    sum_repeats: bool = False
    # Says in which order formats are tried when several recognise a header: a fallback such as
    # "any ad platform's daily report" loses to every vendor's own format.
    priority: int = 0

    def recognises(self, headers: list[str]) -> bool:
        """Whether a file with these (normalized) headers is in this format."""
        if any(
            self._signature_matches(unwanted, header)
            for unwanted in self.excludes
            for header in headers
        ):
            return False
        return all(
            any(self._signature_matches(wanted, header) for header in headers)
            for wanted in self.signature
        )

    def _signature_matches(self, wanted: str, header: str) -> bool:
        """``wanted`` may list alternatives (``cost|spend``) and end in ``*`` (a prefix)."""
        for option in wanted.split("|"):
            if option.endswith("*") and header.startswith(option[:-1]):
                return True
            if header == option:
                return True
        return False

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"format {self.label} has no field {name!r}")


def _entered(stage: str) -> str:
    """HubSpot's stage-date column: ``Date entered "<Stage> (Lifecycle Stage Pipeline)"``."""
    return f'Date entered "{stage} (Lifecycle Stage Pipeline)"'


def _f(
    name: str,
    *headers: str,
    parse: Parse = "text",
    required: bool = False,
    description: str = "",
    prefix: bool = False,
) -> Field:
    normalized = tuple(normalize_header(header) for header in headers)
    label = headers[0].rstrip(" (") if headers else name
    return Field(name, normalized, parse, required, description, prefix, label)


# --------------------------------------------------------------------------------------------
# Opportunities
# --------------------------------------------------------------------------------------------
SALESFORCE_REPORT = Preset(
    name="salesforce_report",
    label="Salesforce report",
    kind="opportunities",
    signature=("opportunity name", "stage", "close date", "amount"),
    fields=(
        _f("opportunity_id", "Opportunity ID", "Opportunity ID (18)", required=True),
        _f("account_id", "Account ID", "Account ID (18)"),
        _f("account_name", "Account Name"),
        _f("opportunity_name", "Opportunity Name"),
        _f("opportunity_type", "Type", "Opportunity Type", parse="opportunity_type"),
        _f("stage", "Stage", required=True),
        _f("amount", "Amount", "Amount (converted)", parse="number", required=True),
        _f(
            "currency",
            "Amount Currency",
            "Opportunity Currency",
            "Currency",
            "Opportunity Currency ISO Code",
            parse="currency",
        ),
        _f("created_date", "Created Date", parse="date", required=True),
        _f("close_date", "Close Date", parse="date", required=True),
        _f("probability", "Probability (%)", "Probability", parse="percent"),
        _f("forecast_category", "Forecast Category", parse="forecast_category"),
        _f("lead_source", "Lead Source", parse="channel"),
        _f("campaign_name", "Primary Campaign Source", "Primary Campaign"),
        _f("campaign_id", "Campaign ID"),
        _f("owner", "Opportunity Owner", "Owner"),
        _f("is_closed", "Closed", parse="boolean"),
        _f("is_won", "Won", parse="boolean"),
    ),
)

SALESFORCE_DATALOADER = Preset(
    name="salesforce_dataloader",
    label="Salesforce Data Loader",
    kind="opportunities",
    signature=("id", "stagename", "closedate", "amount"),
    fields=(
        _f("opportunity_id", "ID", required=True),
        _f("account_id", "ACCOUNTID"),
        _f("account_name", "ACCOUNT.NAME"),
        _f("opportunity_name", "NAME"),
        _f("opportunity_type", "TYPE", parse="opportunity_type"),
        _f("stage", "STAGENAME", required=True),
        _f("amount", "AMOUNT", parse="number", required=True),
        _f("currency", "CURRENCYISOCODE", parse="currency"),
        _f("created_date", "CREATEDDATE", parse="date", required=True),
        _f("close_date", "CLOSEDATE", parse="date", required=True),
        _f("probability", "PROBABILITY", parse="percent"),
        _f(
            "forecast_category",
            "FORECASTCATEGORYNAME",
            "FORECASTCATEGORY",
            parse="forecast_category",
        ),
        _f("lead_source", "LEADSOURCE", parse="channel"),
        _f("campaign_id", "CAMPAIGNID"),
        _f("owner", "OWNER.NAME", "OWNERID"),
        _f("is_closed", "ISCLOSED", parse="boolean"),
        _f("is_won", "ISWON", parse="boolean"),
    ),
)

HUBSPOT_DEALS = Preset(
    name="hubspot_deals",
    label="HubSpot deals",
    kind="opportunities",
    signature=("record id", "deal name", "deal stage"),
    fields=(
        _f("opportunity_id", "Record ID", required=True),
        _f("account_id", "Associated Company IDs", "Associated Company ID"),
        _f("account_name", "Associated Company", "Company name"),
        _f("opportunity_name", "Deal Name"),
        _f("opportunity_type", "Deal Type", parse="opportunity_type"),
        _f("stage", "Deal Stage", required=True),
        _f("amount", "Amount", parse="number", required=True),
        _f("currency", "Currency", "Deal currency code", parse="currency"),
        _f("created_date", "Create Date", parse="date", required=True),
        _f("close_date", "Close Date", parse="date", required=True),
        _f("probability", "Deal probability", parse="percent"),
        _f("forecast_category", "Forecast category", parse="forecast_category"),
        _f(
            "lead_source", "Original Source Type", "Original Source", "Lead Source", parse="channel"
        ),
        _f("owner", "Deal owner"),
    ),
)

# The Opportunity object as a warehouse sync lands it (Fivetran, Airbyte, Stitch): snake_case
# field names, ``true``/``false`` booleans, timestamps with a zone; deleted rows flagged.
SALESFORCE_WAREHOUSE = Preset(
    name="salesforce_warehouse",
    label="Salesforce opportunities (warehouse sync)",
    kind="opportunities",
    signature=("id", "stage name", "close date", "amount"),
    fields=(
        _f("opportunity_id", "id", required=True),
        _f("account_id", "account_id"),
        _f("opportunity_name", "name"),
        _f("opportunity_type", "type", parse="opportunity_type"),
        _f("stage", "stage_name", required=True),
        _f("amount", "amount", parse="number", required=True),
        _f("currency", "currency_iso_code", parse="currency"),
        _f("created_date", "created_date", parse="date", required=True),
        _f("close_date", "close_date", parse="date", required=True),
        _f("probability", "probability", parse="percent"),
        _f(
            "forecast_category",
            "forecast_category_name",
            "forecast_category",
            parse="forecast_category",
        ),
        _f("lead_source", "lead_source", parse="channel"),
        _f("campaign_id", "campaign_id"),
        _f("owner", "owner_id"),
        _f("is_closed", "is_closed", parse="boolean"),
        _f("is_won", "is_won", parse="boolean"),
        _f("is_deleted", "is_deleted", "_fivetran_deleted", parse="boolean"),
    ),
)

# --------------------------------------------------------------------------------------------
# Leads
# --------------------------------------------------------------------------------------------
HUBSPOT_CONTACTS = Preset(
    name="hubspot_contacts",
    label="HubSpot contacts",
    kind="leads",
    signature=("record id", "email", "lifecycle stage"),
    fields=(
        _f("lead_id", "Record ID", required=True),
        _f("email", "Email"),
        _f("company_name", "Company Name", "Company"),
        _f("account_id", "Salesforce Account ID", "Associated Company ID"),
        _f("created_at", "Create Date", "Create date", parse="timestamp", required=True),
        _f(
            "mql_at",
            "Became a Marketing Qualified Lead Date",
            _entered("Marketing Qualified Lead"),
            parse="timestamp",
        ),
        _f(
            "sql_at",
            "Became a Sales Qualified Lead Date",
            _entered("Sales Qualified Lead"),
            parse="timestamp",
        ),
        _f(
            "opportunity_at",
            "Became an Opportunity Date",
            _entered("Opportunity"),
            parse="timestamp",
        ),
        _f("customer_at", "Became a Customer Date", _entered("Customer"), parse="timestamp"),
        _f("first_worked_at", "Date of first engagement", "First Contact Date", parse="timestamp"),
        _f("lifecycle_stage", "Lifecycle Stage", parse="lifecycle_stage"),
        _f("lead_status", "Lead Status"),
        # HubSpot renamed "Original Source" to "Original Traffic Source" (2024); its first
        # drill-down names the network, which tells LinkedIn Ads from Meta under "Paid Social".
        _f(
            "source_channel",
            "Original Traffic Source",
            "Lead Source",
            "Original Source",
            parse="channel",
        ),
        _f(
            "source_detail",
            "Original Traffic Source Drill-Down 1",
            "Original Source Drill-Down 1",
            description="refines the source: Paid Social / LinkedIn is LinkedIn",
        ),
        _f("campaign_name", "Original Campaign", "First Campaign"),
    ),
    hint=(
        "In HubSpot: Contacts > Export, with the properties Record ID, Email, Lifecycle Stage, "
        "Create Date and Original Traffic Source."
    ),
)

# Salesforce Lead object, as Data Loader, Workbench or a report by API name exports it
# (``Id,IsDeleted,...,LeadSource,Status,...,CreatedDate``; Data Loader writes them upper case).
SALESFORCE_LEADS = Preset(
    name="salesforce_leads",
    label="Salesforce leads",
    kind="leads",
    signature=("id", "leadsource", "status", "createddate"),
    fields=(
        _f("lead_id", "Id", required=True),
        _f("email", "Email"),
        _f("company_name", "Company"),
        _f("account_id", "ConvertedAccountId"),
        _f("created_at", "CreatedDate", parse="timestamp", required=True),
        _f("opportunity_at", "ConvertedDate", parse="timestamp"),
        _f("lead_status", "Status"),
        _f("source_channel", "LeadSource", parse="channel"),
    ),
    hint="In Salesforce: Data Loader > Export > Lead, with Id, LeadSource, Status and CreatedDate.",
)

# --------------------------------------------------------------------------------------------
# Spend
# --------------------------------------------------------------------------------------------
GOOGLE_ADS = Preset(
    name="google_ads",
    label="Google Ads",
    kind="spend",
    signature=("day", "campaign", "cost"),
    fields=(
        _f("spend_date", "Day", "Date", parse="date", required=True),
        _f("campaign_name", "Campaign", required=True),
        _f("campaign_id", "Campaign ID"),
        _f("currency", "Currency code", "Currency"),
        _f("amount", "Cost", parse="number", required=True),
        _f("impressions", "Impr.", "Impressions", parse="integer"),
        _f("clicks", "Clicks", parse="integer"),
    ),
    constants=MappingProxyType({"source": "google_ads", "channel": "paid_search"}),
    snapshot_from="date_range",
    hint=("In Google Ads: Campaigns > Download, with Segment > Time > Day added, as CSV or Excel."),
)

# Google Ads' campaign report as downloaded by default: no Day column, the date range in a
# line above the header. Its totals are spread evenly over the range's days (and marked so).
GOOGLE_ADS_TOTALS = Preset(
    name="google_ads_totals",
    label="Google Ads (totals over a date range)",
    kind="spend",
    signature=("campaign", "cost", "impr.|clicks|currency code"),
    excludes=("day", "date", "week", "month"),
    fields=(
        _f("campaign_name", "Campaign", required=True),
        _f("campaign_id", "Campaign ID"),
        _f("currency", "Currency code", "Currency", parse="currency"),
        _f("amount", "Cost", parse="number", required=True),
        _f("impressions", "Impr.", "Impressions", parse="integer"),
        _f("clicks", "Clicks", parse="integer"),
        _f("range_start", "Range start", parse="date"),
        _f("range_end", "Range end", parse="date"),
    ),
    constants=MappingProxyType({"source": "google_ads", "channel": "paid_search"}),
    snapshot_from="date_range",
    hint=("In Google Ads: add Segment > Time > Day before downloading, to load spend day by day."),
)

LINKEDIN_ADS = Preset(
    name="linkedin_ads",
    label="LinkedIn Campaign Manager",
    kind="spend",
    signature=("start date (in utc)", "campaign name", "total spent"),
    fields=(
        _f("spend_date", "Start Date (in UTC)", parse="date", required=True),
        _f("campaign_name", "Campaign Name", required=True),
        _f("currency", "Currency"),
        _f("amount", "Total Spent", parse="number", required=True),
        _f("impressions", "Impressions", parse="integer"),
        _f("clicks", "Clicks", parse="integer"),
    ),
    constants=MappingProxyType({"source": "linkedin_ads", "channel": "linkedin"}),
    snapshot_from="date_range",
)

META_ADS = Preset(
    name="meta_ads",
    label="Meta Ads Manager",
    kind="spend",
    signature=("campaign name", "day", "amount spent (*"),
    fields=(
        _f("spend_date", "Day", "Reporting starts", parse="date", required=True),
        _f("campaign_name", "Campaign name", required=True),
        _f("amount", "Amount spent (", parse="number", required=True, prefix=True),
        _f("impressions", "Impressions", parse="integer"),
        _f("clicks", "Link clicks", "Clicks (all)", "Clicks", parse="integer"),
        _f("campaign_id", "Campaign ID"),
    ),
    constants=MappingProxyType({"source": "meta_ads", "channel": "paid_social"}),
    snapshot_from="date_range",
    sum_repeats=True,
    hint="In Meta Ads Manager: Reports > Export table data, with Breakdown > By Time > Day.",
)

# Meta's export without a Day breakdown: one row per campaign over Reporting starts-ends,
# spread evenly over those days (and marked so).
META_ADS_PERIOD = Preset(
    name="meta_ads_period",
    label="Meta Ads Manager (totals over a date range)",
    kind="spend",
    signature=("campaign name", "reporting starts", "reporting ends", "amount spent (*"),
    excludes=("day",),
    fields=(
        _f("campaign_name", "Campaign name", required=True),
        _f("campaign_id", "Campaign ID"),
        _f("amount", "Amount spent (", parse="number", required=True, prefix=True),
        _f("impressions", "Impressions", parse="integer"),
        _f("clicks", "Link clicks", "Clicks (all)", "Clicks", parse="integer"),
        _f("range_start", "Reporting starts", parse="date", required=True),
        _f("range_end", "Reporting ends", parse="date", required=True),
    ),
    constants=MappingProxyType({"source": "meta_ads", "channel": "paid_social"}),
    snapshot_from="date_range",
    sum_repeats=True,
    hint="In Meta Ads Manager: Breakdown > By Time > Day before exporting, to load day by day.",
)

# Any other ad platform's daily campaign report (TikTok, Pinterest, Microsoft Ads, Reddit, X):
# a day, a campaign and a cost, but nothing that says the channel: the user names it for the
# whole file (``--set channel=paid_social``, or the Channel box on the Data page).
AD_PLATFORM_SPEND = Preset(
    name="ad_platform_spend",
    label="Ad platform daily report",
    kind="spend",
    signature=(
        "campaign name|campaign",
        "cost|spend|amount spent|total spent|spend in account currency|total cost",
        "date|day|by day|gregorian date|reporting date|time period",
    ),
    fields=(
        _f(
            "spend_date",
            "Date",
            "Day",
            "By Day",
            "Gregorian date",
            "Reporting date",
            "Time period",
            parse="date",
            required=True,
        ),
        _f("campaign_name", "Campaign name", "Campaign", required=True),
        _f("campaign_id", "Campaign ID"),
        _f("channel", "Channel", parse="channel", required=True),
        _f(
            "amount",
            "Cost",
            "Spend",
            "Amount spent",
            "Total spent",
            "Spend in account currency",
            "Total cost",
            parse="number",
            required=True,
        ),
        _f("currency", "Currency", "Currency code", parse="currency"),
        _f("impressions", "Impressions", "Impr.", parse="integer"),
        _f("clicks", "Clicks", parse="integer"),
    ),
    constants=MappingProxyType({"source": "ad_platform"}),
    snapshot_from="date_range",
    priority=-1,
    hint=(
        "Nothing in the file says which channel it is: set the channel for the whole file "
        "(the Channel box on the Data page, or --set channel=paid_social on the command line)."
    ),
)

GENERIC_SPEND = Preset(
    name="generic_spend",
    label="Spend (generic)",
    kind="spend",
    signature=("date", "channel", "amount"),
    fields=(
        _f("spend_date", "date", parse="date", required=True),
        _f("campaign_id", "campaign_id"),
        _f("campaign_name", "campaign_name", "campaign"),
        _f("channel", "channel", parse="channel", required=True),
        _f("amount", "amount", "spend", "cost", parse="number", required=True),
        _f("currency", "currency", parse="currency"),
        _f("impressions", "impressions", parse="integer"),
        _f("clicks", "clicks", parse="integer"),
    ),
    constants=MappingProxyType({"source": "finance"}),
)

# --------------------------------------------------------------------------------------------
# Generic formats for what has no single vendor shape
# --------------------------------------------------------------------------------------------
GENERIC_CAMPAIGNS = Preset(
    name="generic_campaigns",
    label="Campaigns (generic)",
    kind="campaigns",
    signature=("campaign id", "campaign name", "channel"),
    fields=(
        _f("campaign_id", "campaign_id", required=True),
        _f("campaign_name", "campaign_name", required=True),
        _f("channel", "channel", parse="channel", required=True),
        _f("objective", "objective"),
        _f("start_date", "start_date", parse="date"),
        _f("end_date", "end_date", parse="date"),
        _f("budget", "budget", parse="number"),
        _f("goal_id", "goal_id"),
        _f("owner", "owner"),
        _f("currency", "currency", parse="currency"),
    ),
    snapshot_from="upload_day",
)

# Salesforce's Campaign object by API name (Data Loader, Workbench): its Type says the channel.
SALESFORCE_CAMPAIGNS = Preset(
    name="salesforce_campaigns",
    label="Salesforce campaigns",
    kind="campaigns",
    signature=("id", "name", "type", "startdate"),
    fields=(
        _f("campaign_id", "Id", required=True),
        _f("campaign_name", "Name", required=True),
        _f("channel", "Type", parse="channel", required=True),
        _f("objective", "Description"),
        _f("start_date", "StartDate", parse="date"),
        _f("end_date", "EndDate", parse="date"),
        _f("budget", "BudgetedCost", parse="number"),
        _f("currency", "CurrencyIsoCode", parse="currency"),
        _f("owner", "OwnerId"),
    ),
    snapshot_from="upload_day",
    hint="In Salesforce: Data Loader > Export > Campaign, with Id, Name, Type and StartDate.",
)

GENERIC_TOUCHES = Preset(
    name="generic_touches",
    label="Touches (generic)",
    kind="touches",
    signature=("touch id", "touched at", "channel"),
    fields=(
        _f("touch_id", "touch_id", required=True),
        _f("touched_at", "touched_at", parse="timestamp", required=True),
        _f("contact_email", "email", "contact_email"),
        _f("account_id", "account_id"),
        _f("campaign_id", "campaign_id"),
        _f("channel", "channel", parse="channel", required=True),
        _f("touch_type", "touch_type", "type", required=True),
    ),
)

GENERIC_REVENUE = Preset(
    name="generic_revenue",
    label="MRR/ARR by account (generic)",
    kind="revenue",
    signature=("account id", "month"),
    fields=(
        _f("account_id", "account_id", required=True),
        _f("account_name", "account_name"),
        _f("month", "month", parse="month", required=True),
        _f("mrr", "mrr", parse="number"),
        _f("arr", "arr", parse="number"),
        _f("currency", "currency", parse="currency"),
        _f("segment", "segment"),
    ),
)

GENERIC_GOALS = Preset(
    name="generic_goals",
    label="Goals (generic)",
    kind="goals",
    signature=("goal id", "metric", "target", "period"),
    fields=(
        _f("goal_id", "goal_id", required=True),
        _f("parent_goal_id", "parent_goal_id", "parent"),
        _f("level", "level", parse="level", required=True),
        _f("goal_name", "goal_name", "name", required=True),
        _f("metric", "metric", required=True),
        _f("target", "target", parse="number", required=True),
        _f("period", "period", parse="period", required=True),
        _f("period_start", "period_start", parse="date"),
        _f("period_end", "period_end", parse="date"),
        _f("owner", "owner"),
        _f("direction", "direction", parse="direction"),
        _f("campaign_id", "campaign_id"),
    ),
    snapshot_from="upload_day",
)

GENERIC_FORECASTS = Preset(
    name="generic_forecasts",
    label="Forecasts (generic)",
    kind="forecasts",
    signature=("submitted on", "period", "metric", "value", "category"),
    fields=(
        _f("forecast_id", "forecast_id"),
        _f("submitted_on", "submitted_on", parse="date", required=True),
        _f("period", "period", parse="period", required=True),
        _f("metric", "metric", required=True),
        _f("value", "value", parse="number", required=True),
        _f("category", "category", parse="forecast_category", required=True),
        _f("forecaster", "forecaster", required=True),
    ),
    snapshot_from="upload_day",
)

GENERIC_BUDGETS = Preset(
    name="generic_budgets",
    label="Budgets (generic)",
    kind="budgets",
    signature=("period", "channel", "planned spend"),
    fields=(
        _f("period", "period", parse="period", required=True),
        _f("channel", "channel", parse="channel", required=True),
        _f("amount", "planned_spend", parse="number", required=True),
        _f("currency", "currency", parse="currency"),
    ),
    snapshot_from="upload_day",
)

# Exchange rates to the store's reporting currency: ``month`` (or ``date``), ``currency``,
# ``rate`` = units of the reporting currency that one unit of ``currency`` buys.
GENERIC_RATES = Preset(
    name="generic_rates",
    label="Exchange rates",
    kind="exchange_rates",
    signature=("currency", "rate", "month|date"),
    fields=(
        _f("currency", "currency", "currency code", parse="currency", required=True),
        _f("month", "month", parse="month"),
        _f("rate_day", "date", "day", parse="date"),
        _f("rate", "rate", "exchange rate", parse="number", required=True),
    ),
    snapshot_from="upload_day",
)

PRESETS: tuple[Preset, ...] = (
    SALESFORCE_DATALOADER,
    SALESFORCE_REPORT,
    SALESFORCE_WAREHOUSE,
    HUBSPOT_DEALS,
    HUBSPOT_CONTACTS,
    SALESFORCE_LEADS,
    GOOGLE_ADS,
    GOOGLE_ADS_TOTALS,
    LINKEDIN_ADS,
    META_ADS,
    META_ADS_PERIOD,
    AD_PLATFORM_SPEND,
    GENERIC_SPEND,
    SALESFORCE_CAMPAIGNS,
    GENERIC_CAMPAIGNS,
    GENERIC_TOUCHES,
    GENERIC_REVENUE,
    GENERIC_GOALS,
    GENERIC_FORECASTS,
    GENERIC_BUDGETS,
    GENERIC_RATES,
)
PRESETS_BY_NAME: Mapping[str, Preset] = MappingProxyType(
    {preset.name: preset for preset in PRESETS}
)
# The format a user picks when they say what a file holds and no preset recognised it.
DEFAULT_PRESET_FOR_KIND: Mapping[str, Preset] = MappingProxyType(
    {
        "opportunities": SALESFORCE_REPORT,
        "leads": HUBSPOT_CONTACTS,
        "spend": GENERIC_SPEND,
        "campaigns": GENERIC_CAMPAIGNS,
        "touches": GENERIC_TOUCHES,
        "revenue": GENERIC_REVENUE,
        "goals": GENERIC_GOALS,
        "forecasts": GENERIC_FORECASTS,
        "budgets": GENERIC_BUDGETS,
        "exchange_rates": GENERIC_RATES,
    }
)


def preset_named(name: str) -> Preset:
    """The preset called ``name``; the error lists the names that exist."""
    try:
        return PRESETS_BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(PRESETS_BY_NAME))
        raise ValueError(f"unknown format {name!r}; known formats: {known}") from None


def recognise(headers: list[str]) -> Preset | None:
    """The preset a header row belongs to: the matching one with the longest signature."""
    normalized = [normalize_header(header) for header in headers]
    matching = [preset for preset in PRESETS if preset.recognises(normalized)]
    if not matching:
        return None
    return max(
        matching,
        key=lambda preset: (
            preset.priority,
            len(preset.signature),
            _fields_present(preset, normalized),
        ),
    )


def _fields_present(preset: Preset, headers: list[str]) -> int:
    return sum(any(field.matches(header) for header in headers) for field in preset.fields)


def signature_score(preset: Preset, headers: list[str]) -> float:
    """Share of a preset's signature a header row has (for finding the header line)."""
    normalized = [normalize_header(header) for header in headers]
    found = sum(
        any(preset._signature_matches(wanted, header) for header in normalized)
        for wanted in preset.signature
    )
    return found / len(preset.signature)


# --------------------------------------------------------------------------------------------
# Vocabularies: vendor values to the store's values
# --------------------------------------------------------------------------------------------
def vocabulary_key(value: str) -> str:
    """How vocabulary values are compared: lower case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", value.lower())


# The defaults a value mapping starts from: vendors' own picklist values (Salesforce's Lead
# Source and Campaign Type, HubSpot's Original Traffic Source and its drill-down) read as the
# store's channels. Anything else loads as "other" and is listed, for the user to map.
CHANNEL_DEFAULTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "paid_search": (
            "paid_search",
            "Paid search",
            "Google Ads",
            "SEM",
            "PPC",
            "Search",
            "Advertisement",
            "Paid Search / Google",
            "Paid Search / Bing",
        ),
        "paid_social": (
            "paid_social",
            "Paid social",
            "Meta",
            "Facebook",
            "Instagram",
            "Paid Social / Facebook",
            "Paid Social / Instagram",
            "Banner Ads",
        ),
        "linkedin": (
            "linkedin",
            "LinkedIn",
            "LinkedIn Ads",
            "Paid Social / LinkedIn",
        ),
        "events": ("events", "Event", "Trade Show", "Conference", "Offline Sources"),
        "webinars": ("webinars", "Webinar", "Other Campaigns"),
        "content_seo": (
            "content_seo",
            "Content & SEO",
            "Content",
            "SEO",
            "Organic Search",
            "Content Syndication",
            "Public Relations",
        ),
        "partners": (
            "partners",
            "Partner",
            "Partner Referral",
            "Referrals",
            "Referral Program",
        ),
        "outbound": (
            "outbound",
            "Outbound Prospecting",
            "Purchased List",
            "Cold Call",
            "Direct Mail",
            "Telemarketing",
        ),
        "direct": (
            "direct",
            "Direct & organic",
            "Direct Traffic",
            "Website",
            "Web",
            "Phone Inquiry",
            "Organic Social",
            "Social Media",
            "Email Marketing",
            "Email",
            "AI Referrals",
        ),
        "sales": ("sales", "Sales-sourced", "Sales Generated", "Employee Referral"),
        "customer": ("customer", "Customer base", "Existing Customer", "Customer Referral"),
        "other": ("other", "Other"),
    }
)
CHANNEL_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {
        vocabulary_key(value): channel
        for channel, values in CHANNEL_DEFAULTS.items()
        for value in values
    }
)
OPPORTUNITY_TYPE_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {
        vocabulary_key(value): kind
        for kind, values in {
            "new_business": (
                "new_business",
                "New Business",
                "New Customer",
                "New",
                "New Logo",
            ),
            "expansion": (
                "expansion",
                "Upsell",
                "Cross-sell",
                "Existing Business",
                "Existing Customer - Upgrade",
                "Add-On Business",
                "Upgrade",
            ),
            "renewal": (
                "renewal",
                "Existing Customer - Replacement",
                "Existing Customer - Renewal",
                "Existing Customer - Downgrade",
            ),
            "other": ("other",),
        }.items()
        for value in values
    }
)
# Fields whose unknown values load as "other" and are listed, never refused (vendor values).
OPEN_VOCABULARIES: frozenset[str] = frozenset({"channel", "opportunity_type"})
LIFECYCLE_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {
        vocabulary_key(value): stage
        for stage, values in {
            "Subscriber": ("subscriber",),
            "Lead": ("lead",),
            "Marketing Qualified Lead": (
                "marketing qualified lead",
                "marketingqualifiedlead",
                "mql",
            ),
            "Sales Qualified Lead": ("sales qualified lead", "salesqualifiedlead", "sql"),
            "Opportunity": ("opportunity",),
            "Customer": ("customer",),
            "Evangelist": ("evangelist",),
            "Other": ("other",),
        }.items()
        for value in values
    }
)
FORECAST_CATEGORY_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {
        vocabulary_key(value): category
        for category, values in {
            "commit": ("commit", "Commit"),
            "most_likely": ("most_likely", "Most likely", "Most Likely", "Probable", "Best guess"),
            "best_case": ("best_case", "Best case", "Best Case", "Upside"),
            "pipeline": ("pipeline", "Pipeline"),
            "closed": ("closed", "Closed"),
            "omitted": ("omitted", "Omitted"),
        }.items()
        for value in values
    }
)
LEVEL_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {vocabulary_key(level): level for level in ("vision", "annual", "quarterly", "campaign")}
)
DIRECTION_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {
        vocabulary_key(value): direction
        for direction, values in {
            "higher": ("higher", "up", "higher is better", "increase"),
            "lower": ("lower", "down", "lower is better", "decrease"),
        }.items()
        for value in values
    }
)
VOCABULARIES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "channel": CHANNEL_VOCABULARY,
        "opportunity_type": OPPORTUNITY_TYPE_VOCABULARY,
        "lifecycle_stage": LIFECYCLE_VOCABULARY,
        "forecast_category": FORECAST_CATEGORY_VOCABULARY,
        "level": LEVEL_VOCABULARY,
        "direction": DIRECTION_VOCABULARY,
    }
)
