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

    def recognises(self, headers: list[str]) -> bool:
        """Whether a file with these (normalized) headers is in this format."""
        return all(
            any(self._signature_matches(wanted, header) for header in headers)
            for wanted in self.signature
        )

    def _signature_matches(self, wanted: str, header: str) -> bool:
        if wanted.endswith("*"):
            return header.startswith(wanted[:-1])
        return header == wanted

    def field(self, name: str) -> Field:
        """The field called ``name``."""
        for candidate in self.fields:
            if candidate.name == name:
                return candidate
        raise KeyError(f"format {self.label} has no field {name!r}")


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
        _f("currency", "Amount Currency", "Opportunity Currency", "Currency"),
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
        _f("currency", "CURRENCYISOCODE"),
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
        _f("currency", "Currency", "Deal currency code"),
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
        _f("created_at", "Create Date", parse="timestamp", required=True),
        _f("mql_at", "Became a Marketing Qualified Lead Date", parse="timestamp"),
        _f("sql_at", "Became a Sales Qualified Lead Date", parse="timestamp"),
        _f("opportunity_at", "Became an Opportunity Date", parse="timestamp"),
        _f("customer_at", "Became a Customer Date", parse="timestamp"),
        _f("first_worked_at", "Date of first engagement", "First Contact Date", parse="timestamp"),
        _f("lifecycle_stage", "Lifecycle Stage", parse="lifecycle_stage"),
        _f("lead_status", "Lead Status"),
        _f("source_channel", "Lead Source", "Original Source", parse="channel"),
        _f("campaign_name", "Original Campaign", "First Campaign"),
    ),
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
    ),
    constants=MappingProxyType({"source": "meta_ads", "channel": "paid_social"}),
    snapshot_from="date_range",
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
        _f("currency", "currency"),
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
    ),
    snapshot_from="upload_day",
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
        _f("currency", "currency"),
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
        _f("currency", "currency"),
    ),
    snapshot_from="upload_day",
)

PRESETS: tuple[Preset, ...] = (
    SALESFORCE_DATALOADER,
    SALESFORCE_REPORT,
    HUBSPOT_DEALS,
    HUBSPOT_CONTACTS,
    GOOGLE_ADS,
    LINKEDIN_ADS,
    META_ADS,
    GENERIC_SPEND,
    GENERIC_CAMPAIGNS,
    GENERIC_TOUCHES,
    GENERIC_REVENUE,
    GENERIC_GOALS,
    GENERIC_FORECASTS,
    GENERIC_BUDGETS,
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
        matching, key=lambda preset: (len(preset.signature), _fields_present(preset, normalized))
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


CHANNEL_VOCABULARY: Mapping[str, str] = MappingProxyType(
    {
        vocabulary_key(value): channel
        for channel, values in {
            "paid_search": (
                "paid_search",
                "Paid search",
                "Paid Search",
                "Google Ads",
                "SEM",
                "PPC",
                "Search",
            ),
            "paid_social": (
                "paid_social",
                "Paid social",
                "Paid Social",
                "Meta",
                "Facebook",
                "Instagram",
            ),
            "linkedin": ("linkedin", "LinkedIn", "LinkedIn Ads"),
            "events": ("events", "Event", "Events", "Trade Show", "Conference", "Offline Sources"),
            "webinars": ("webinars", "Webinar", "Webinars", "Other Campaigns"),
            "content_seo": (
                "content_seo",
                "Content & SEO",
                "Content",
                "SEO",
                "Organic Search",
                "Content Syndication",
            ),
            "partners": ("partners", "Partner", "Partners", "Partner Referral", "Referrals"),
            "outbound": (
                "outbound",
                "Outbound",
                "Outbound Prospecting",
                "Purchased List",
                "Cold Call",
            ),
            "direct": (
                "direct",
                "Direct & organic",
                "Direct Traffic",
                "Website",
                "Web",
                "Phone Inquiry",
                "Direct",
                "Organic Social",
                "Social Media",
                "Email Marketing",
                "AI Referrals",
            ),
            "sales": ("sales", "Sales-sourced", "Sales Generated", "Employee Referral", "Sales"),
            "customer": ("customer", "Customer base", "Existing Customer", "Customer Referral"),
        }.items()
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
                "newbusiness",
            ),
            "expansion": (
                "expansion",
                "Expansion",
                "Upsell",
                "Cross-sell",
                "Existing Business",
                "Existing Customer - Upgrade",
                "Add-On Business",
                "Upgrade",
            ),
            "renewal": (
                "renewal",
                "Renewal",
                "Existing Customer - Replacement",
                "Existing Customer - Renewal",
            ),
        }.items()
        for value in values
    }
)
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
