"""From simulation to files: every demo export, written in its vendor's shape.

:func:`demo_files` runs the simulation once and returns the list of files to produce, in load
order. Each :class:`DemoFile` writes its export when asked and yields the same rows in the
store's canonical columns, chunk by chunk, so the seeder can load while the file streams to disk.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from core.calendar import FiscalPeriod, week_start
from core.channels import PAID_CHANNELS
from core.demo import exports, names
from core.demo.ids import salesforce_ids
from core.demo.profile import (
    BASELINES,
    CHANNELS,
    COMPANY_NAME,
    CURRENCY,
    FISCAL_YEAR_START_MONTH,
    PEOPLE,
    SPEND_EXPERIMENTS,
    scaled,
)
from core.demo.simulate import (
    NEVER,
    Customers,
    DemoOptions,
    LeadChunk,
    LeadContext,
    Opportunities,
    SpendResult,
    Timeline,
    build_campaigns,
    build_timeline,
    campaign_groups,
    combine,
    customer_touches,
    expected_pipeline,
    lead_chunks,
    new_business,
    opportunity_state,
    plan_budgets,
    simulate_customers,
    simulate_spend,
    snapshot_days,
    snapshot_rows,
    to_date,
    to_day,
)

MARKETING_SOURCES = (*PAID_CHANNELS, "direct")


@dataclass(frozen=True)
class DemoFile:
    """One export: where it goes, what it holds, and how to write it."""

    relative_path: str
    kind: str  # the store table it loads into
    source: str  # the vendor format (ingest preset) it is written in
    snapshot_date: date
    write: Callable[[Path], Iterator[pd.DataFrame]]


@dataclass
class DemoWorld:
    """The simulated company, shared by every file writer."""

    options: DemoOptions
    timeline: Timeline
    campaigns: pd.DataFrame
    budgets: pd.DataFrame
    spend: SpendResult
    pipeline: np.ndarray
    opportunities: Opportunities
    customers: Customers
    lead_context: LeadContext
    company_names: names.CompanyNames
    # MQL days of every simulated lead per month of creation, kept by the contacts pass for
    # the actuals (the hidden future included), so leads are not simulated a third time.
    mql_days_by_month: dict[str, np.ndarray] = field(default_factory=dict)

    # Strings are made per chunk from account and opportunity numbers (customers first, then
    # the prospect pool): holding them all would cost gigabytes at scale 100.
    def account_id(self, account: np.ndarray) -> np.ndarray:
        """Salesforce account ids of account numbers."""
        return salesforce_ids("001", np.asarray(account, dtype=np.int64))

    def account_name(self, account: np.ndarray) -> np.ndarray:
        """Company names of account numbers."""
        return self.company_names.names(account)

    def account_domain(self, account: np.ndarray) -> pd.Series:
        """Web domains of account numbers."""
        return names.email_domains(pd.Series(self.account_name(account), dtype="str"))

    def opportunity_id(self, rows: np.ndarray) -> np.ndarray:
        """Salesforce ids of opportunities ``rows``."""
        return salesforce_ids("006", np.asarray(rows, dtype=np.int64))

    def opportunity_name(self, rows: np.ndarray) -> np.ndarray:
        """CRM deal names: ``Acme Labs - Platform``, ``Acme Labs - Renewal 2026``."""
        opportunities = self.opportunities
        kind = opportunities.kind[rows]
        created = opportunities.created[rows].astype("datetime64[D]")
        year = created.astype("datetime64[Y]").astype(int) + 1970
        product = np.where(
            kind == "new_business",
            "Platform",
            np.where(kind == "expansion", "Analytics Add-on", "Renewal " + (year + 1).astype(str)),
        )
        return self.account_name(opportunities.account[rows]) + " - " + product.astype(object)


def simulate_world(options: DemoOptions) -> DemoWorld:
    """Run every simulation stage once."""
    timeline = build_timeline(options)
    campaigns = build_campaigns(timeline, options)
    budgets = plan_budgets(timeline, options)
    spend = simulate_spend(timeline, campaigns, budgets, options)
    pipeline = expected_pipeline(timeline, spend.weekly_spend, options.scale)
    deals = new_business(timeline, pipeline, campaigns, options)
    customers = simulate_customers(timeline, deals, options)
    opportunities = combine(deals, customers.base_opportunities)
    prospects = max(200, round(25_000 * options.scale))
    context = LeadContext(
        timeline=timeline,
        options=options,
        pipeline=pipeline,
        opportunities=opportunities,
        campaigns=campaigns,
        campaign_groups=campaign_groups(campaigns),
        customers=customers,
        prospect_first=customers.account_count,
        prospect_count=prospects,
    )
    return DemoWorld(
        options=options,
        timeline=timeline,
        campaigns=campaigns,
        budgets=budgets,
        spend=spend,
        pipeline=pipeline,
        opportunities=opportunities,
        customers=customers,
        lead_context=context,
        company_names=names.CompanyNames(options.seed),
    )


def _days_to_dates(days: np.ndarray | pd.Series) -> pd.Series:
    values = np.asarray(days, dtype=np.int64)
    return pd.Series(pd.to_datetime(values, unit="D").date)


def _minutes_to_stamps(minutes: np.ndarray) -> pd.Series:
    values = np.asarray(minutes, dtype=np.int64)
    return pd.Series(pd.to_datetime(np.where(values >= 0, values, 0), unit="m")).where(values >= 0)


# --------------------------------------------------------------------------------------------
# Campaigns and budgets (generic formats)
# --------------------------------------------------------------------------------------------
def _campaign_frame(world: DemoWorld) -> pd.DataFrame:
    campaigns = world.campaigns
    started = campaigns[campaigns["start_day"] <= world.timeline.as_of_day]
    rng = np.random.default_rng([world.options.seed, 7])
    spent = world.spend.daily.groupby("campaign_row")["amount_usd"].sum()
    budget = pd.Series(started.index).map(spent).fillna(0.0).to_numpy()
    budget = np.round(np.maximum(budget, 500.0) * rng.uniform(0.95, 1.15, len(started)), -2)
    quarter_goal = [
        _goal_id(world.timeline.quarters[index], "MKT-SOURCED")
        if _year_has_goals(world, world.timeline.quarters[index])
        else None
        for index in started["quarter_index"]
    ]
    return pd.DataFrame(
        {
            "campaign_id": started["campaign_id"].to_numpy(),
            "campaign_name": started["campaign_name"].to_numpy(),
            "channel": started["channel"].to_numpy(),
            "objective": started["objective"].to_numpy(),
            "start_date": _days_to_dates(started["start_day"]),
            "end_date": _days_to_dates(started["end_day"]),
            "budget_usd": budget,
            "goal_id": quarter_goal,
            "owner": started["owner"].to_numpy(),
        }
    )


def _write_campaigns(world: DemoWorld) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        frame = _campaign_frame(world)
        vendor = pd.DataFrame(
            {
                "campaign_id": frame["campaign_id"],
                "campaign_name": frame["campaign_name"],
                "channel": frame["channel"],
                "objective": frame["objective"],
                "start_date": exports.iso_dates(frame["start_date"]),
                "end_date": exports.iso_dates(frame["end_date"]),
                "budget": exports.plain_number(frame["budget_usd"], 2),
                "goal_id": exports.optional_text(frame["goal_id"]),
                "owner": frame["owner"],
            }
        )
        with exports.CsvExport(path, list(vendor.columns)) as export:
            export.write(vendor)
        yield frame

    return write


def _write_budgets(world: DemoWorld) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        budgets = world.budgets
        frame = budgets[budgets["period_start"] >= world.timeline.history_start].reset_index(
            drop=True
        )
        vendor = pd.DataFrame(
            {
                "period": frame["period_label"],
                "channel": frame["channel"],
                "planned_spend": exports.plain_number(frame["planned_spend_usd"], 2),
            }
        )
        with exports.CsvExport(path, list(vendor.columns)) as export:
            export.write(vendor)
        yield frame

    return write


# --------------------------------------------------------------------------------------------
# Spend: Google Ads, Meta, LinkedIn, and finance for the rest
# --------------------------------------------------------------------------------------------
SPEND_SOURCES = {
    "paid_search": "google_ads",
    "paid_social": "meta_ads",
    "linkedin": "linkedin_ads",
}


def _spend_rows(
    world: DemoWorld, channels: tuple[str, ...], first: date, last: date
) -> pd.DataFrame:
    daily = world.spend.daily
    window = (
        daily["channel"].isin(channels)
        & (daily["spend_day"] >= to_day(first))
        & (daily["spend_day"] <= min(to_day(last), world.timeline.as_of_day))
    )
    rows = daily[window].copy()
    campaign_rows = rows["campaign_row"].to_numpy()
    rows["campaign_id"] = world.campaigns["campaign_id"].to_numpy()[campaign_rows]
    rows["campaign_name"] = world.campaigns["campaign_name"].to_numpy()[campaign_rows]
    rows = rows.sort_values(["spend_day", "campaign_name"], kind="stable")
    return rows.reset_index(drop=True)


def _canonical_spend(rows: pd.DataFrame, source: str) -> pd.DataFrame:
    has_ads = "impressions" in rows.columns
    return pd.DataFrame(
        {
            "spend_date": _days_to_dates(rows["spend_day"]),
            "campaign_id": rows["campaign_id"].to_numpy(),
            "source": source,
            "channel": rows["channel"].to_numpy(),
            "amount_usd": rows["amount_usd"].to_numpy(),
            "impressions": rows["impressions"].to_numpy() if has_ads else pd.NA,
            "clicks": rows["clicks"].to_numpy() if has_ads else pd.NA,
        }
    )


def _write_google_ads(
    world: DemoWorld, year: FiscalPeriod, excel: bool
) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        rows = _spend_rows(world, ("paid_search",), year.start, year.end)
        last = min(year.end, world.timeline.as_of)
        vendor = pd.DataFrame(
            {
                "Day": exports.iso_dates(_days_to_dates(rows["spend_day"])),
                "Campaign": rows["campaign_name"],
                "Campaign type": "Search",
                "Currency code": CURRENCY,
                "Cost": exports.thousands(rows["amount_usd"], 2),
                "Impr.": exports.thousands(rows["impressions"], 0),
                "Clicks": exports.thousands(rows["clicks"], 0),
                "Conversions": exports.thousands(rows["conversions"], 2),
            }
        )
        preamble = [
            "Campaign report",
            f"{exports.long_date(pd.Timestamp(year.start))} - "
            f"{exports.long_date(pd.Timestamp(last))}",
        ]
        options = {"separator": "\t", "encoding": "utf-16", "line_end": "\r\n"} if excel else {}
        with exports.CsvExport(path, list(vendor.columns), preamble=preamble, **options) as export:
            export.write(vendor)
            totals = [
                rows["amount_usd"].sum(),
                rows["impressions"].sum(),
                rows["clicks"].sum(),
                rows["conversions"].sum(),
            ]
            separator = "\t" if excel else ","
            for label in ("Total: Account", "Total: Search"):
                cells = [
                    label,
                    "--",
                    "--",
                    CURRENCY,
                    f"{totals[0]:,.2f}",
                    f"{totals[1]:,.0f}",
                    f"{totals[2]:,.0f}",
                    f"{totals[3]:,.2f}",
                ]
                quoted = [f'"{cell}"' if "," in cell and not excel else cell for cell in cells]
                export.write_lines([separator.join(quoted)])
        yield _canonical_spend(rows, "google_ads")

    return write


def _write_meta(world: DemoWorld, year: FiscalPeriod) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        rows = _spend_rows(world, ("paid_social",), year.start, year.end)
        last = min(year.end, world.timeline.as_of)
        reach = (rows["impressions"] * 0.62).round().astype(np.int64)
        vendor = pd.DataFrame(
            {
                "Reporting starts": year.start.isoformat(),
                "Reporting ends": last.isoformat(),
                "Campaign name": rows["campaign_name"],
                "Day": exports.iso_dates(_days_to_dates(rows["spend_day"])),
                "Amount spent (USD)": exports.plain_number(rows["amount_usd"], 2),
                "Impressions": rows["impressions"].astype(np.int64).astype(str),
                "Reach": reach.astype(str),
                "Link clicks": rows["clicks"].astype(np.int64).astype(str),
                "Results": rows["conversions"].astype(np.int64).astype(str),
            }
        )
        with exports.CsvExport(path, list(vendor.columns)) as export:
            export.write(vendor)
        yield _canonical_spend(rows, "meta_ads")

    return write


def _write_linkedin(
    world: DemoWorld, year: FiscalPeriod
) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        rows = _spend_rows(world, ("linkedin",), year.start, year.end)
        last = min(year.end, world.timeline.as_of)
        generated = world.timeline.as_of
        ids = world.campaigns.set_index("campaign_id")
        base_names = rows["campaign_name"].str.replace(r"^FY\d\d Q\d ", "", regex=True)
        base_names = base_names.str.replace(r" \(.*\)$", "", regex=True)
        vendor = pd.DataFrame(
            {
                "Start Date (in UTC)": exports.us_dates(_days_to_dates(rows["spend_day"])),
                "Account Name": COMPANY_NAME,
                "Currency": CURRENCY,
                "Campaign Group Name": "FY" + rows["campaign_name"].str.slice(2, 4) + " Demand Gen",
                "Campaign Name": rows["campaign_name"],
                "Campaign ID": [
                    str(180_000_000 + int(ids.index.get_loc(campaign)))
                    for campaign in rows["campaign_id"]
                ],
                "Campaign Type": base_names.map(exports.LINKEDIN_CAMPAIGN_TYPE).fillna(
                    "Sponsored Content"
                ),
                "Total Spent": exports.plain_number(rows["amount_usd"], 2),
                "Impressions": rows["impressions"].astype(np.int64).astype(str),
                "Clicks": rows["clicks"].astype(np.int64).astype(str),
                "Leads": rows["conversions"].astype(np.int64).astype(str),
            }
        )
        start_text = f"{year.start.month}/{year.start.day}/{year.start.year}"
        end_text = f"{last.month}/{last.day}/{last.year}"
        preamble = [
            "Campaign Performance Report (in UTC)",
            f"Report Start: {start_text}, 12:00 AM",
            f"Report End: {end_text}, 11:59 PM",
            f"Date Generated: {generated.month}/{generated.day}/{generated.year}, 9:14 AM",
            f"Account: {COMPANY_NAME} (507123456)",
        ]
        with exports.CsvExport(path, list(vendor.columns), preamble=preamble) as export:
            export.write(vendor)
        yield _canonical_spend(rows, "linkedin_ads")

    return write


def _write_finance_spend(
    world: DemoWorld, year: FiscalPeriod
) -> Callable[[Path], Iterator[pd.DataFrame]]:
    channels = tuple(channel for channel in PAID_CHANNELS if channel not in SPEND_SOURCES)

    def write(path: Path) -> Iterator[pd.DataFrame]:
        rows = _spend_rows(world, channels, year.start, year.end)
        vendor = pd.DataFrame(
            {
                "date": exports.iso_dates(_days_to_dates(rows["spend_day"])),
                "campaign_id": rows["campaign_id"],
                "campaign_name": rows["campaign_name"],
                "channel": rows["channel"],
                "amount": exports.plain_number(rows["amount_usd"], 2),
                "currency": CURRENCY,
            }
        )
        with exports.CsvExport(path, list(vendor.columns)) as export:
            export.write(vendor)
        yield _canonical_spend(rows, "finance")

    return write


# --------------------------------------------------------------------------------------------
# Opportunities: weekly Salesforce Data Loader exports
# --------------------------------------------------------------------------------------------
def _write_opportunity_snapshot(
    world: DemoWorld, day: int, previous: int
) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        opportunities = world.opportunities
        rows = snapshot_rows(opportunities, day, previous)
        state = opportunity_state(opportunities, rows, day)
        campaign_rows = opportunities.campaign_row[rows]
        campaign_ids = np.where(
            campaign_rows >= 0,
            world.campaigns["campaign_id"].to_numpy()[np.maximum(campaign_rows, 0)],
            None,
        )
        canonical = pd.DataFrame(
            {
                "opportunity_id": world.opportunity_id(rows),
                "account_id": world.account_id(opportunities.account[rows]),
                "opportunity_name": world.opportunity_name(rows),
                "opportunity_type": opportunities.kind[rows],
                "stage": state["stage"].to_numpy(),
                "amount_usd": state["amount_usd"].to_numpy(),
                "created_date": _days_to_dates(state["created_day"]),
                "close_date": _days_to_dates(state["close_day"]),
                "is_closed": state["is_closed"].to_numpy(),
                "is_won": state["is_won"].to_numpy(),
                "probability_pct": state["probability_pct"].to_numpy(),
                # The store keeps keys (best_case); the export shows Salesforce labels.
                "forecast_category": state["forecast_category"]
                .str.lower()
                .str.replace(" ", "_")
                .to_numpy(),
                "source_channel": opportunities.channel[rows],
                "campaign_id": campaign_ids,
                "owner": opportunities.owner[rows],
            }
        )
        created_minutes = state["created_day"].to_numpy() * 1440 + 9 * 60 + (rows * 37) % 480
        modified_minutes = (
            state["last_modified_day"].to_numpy() * 1440 + 10 * 60 + (rows * 53) % 420
        )
        modified_minutes = np.maximum(modified_minutes, created_minutes)
        vendor = pd.DataFrame(
            {
                "ID": canonical["opportunity_id"],
                "ACCOUNTID": canonical["account_id"],
                "ACCOUNT.NAME": world.account_name(opportunities.account[rows]),
                "NAME": canonical["opportunity_name"],
                "STAGENAME": canonical["stage"],
                "AMOUNT": exports.plain_number(canonical["amount_usd"], 1),
                "CLOSEDATE": exports.iso_dates(canonical["close_date"]),
                "CREATEDDATE": exports.salesforce_timestamps(_minutes_to_stamps(created_minutes)),
                "TYPE": canonical["opportunity_type"].map(exports.SALESFORCE_TYPE),
                "LEADSOURCE": canonical["source_channel"].map(exports.SALESFORCE_LEAD_SOURCE),
                "ISCLOSED": exports.boolean_text(canonical["is_closed"]),
                "ISWON": exports.boolean_text(canonical["is_won"]),
                "CAMPAIGNID": exports.optional_text(canonical["campaign_id"]),
                "PROBABILITY": exports.plain_number(canonical["probability_pct"], 0),
                "FORECASTCATEGORYNAME": state["forecast_category"].to_numpy(),
                "OWNER.NAME": canonical["owner"],
                "LASTMODIFIEDDATE": exports.salesforce_timestamps(
                    _minutes_to_stamps(modified_minutes)
                ),
            }
        )
        with exports.CsvExport(path, list(vendor.columns), quote_all=True) as export:
            export.write(vendor)
        yield canonical

    return write


# --------------------------------------------------------------------------------------------
# Leads (HubSpot contacts export) and touches (generic)
# --------------------------------------------------------------------------------------------
LIFECYCLE_STAGES = (
    "Lead",
    "Marketing Qualified Lead",
    "Sales Qualified Lead",
    "Opportunity",
    "Customer",
)


def _lead_frames(world: DemoWorld, chunk: LeadChunk) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical leads created up to the as-of date, with the stamps a CRM would show."""
    leads = chunk.leads
    as_of = world.timeline.as_of_day
    leads = leads[leads["created_at_day"] <= as_of].reset_index(drop=True)
    created = leads["created_at_day"].to_numpy() * 1440 + leads["created_minute"].to_numpy()

    def stamp(day_column: str, minute_of_day: np.ndarray, floor: np.ndarray) -> np.ndarray:
        days = leads[day_column].to_numpy()
        reached = days <= as_of
        safe_days = np.where(reached, days, 0)
        minutes = np.maximum(safe_days * 1440 + minute_of_day, floor)
        return np.where(reached, minutes, -1)

    offset = leads["created_minute"].to_numpy()
    mql = stamp("mql_day", 8 * 60 + (offset * 7) % 600, created + 5)
    sql = stamp("sql_day", 9 * 60 + (offset * 11) % 540, np.maximum(mql, created) + 5)
    opportunity = stamp(
        "opportunity_day", 10 * 60 + (offset * 3) % 420, np.maximum(sql, created) + 5
    )
    customer = stamp(
        "customer_day", np.full(len(leads), 17 * 60), np.maximum(opportunity, created) + 5
    )
    worked = leads["first_worked_minute"].to_numpy()
    worked = np.where((worked >= 0) & (worked <= (as_of + 1) * 1440), np.maximum(worked, mql), -1)
    worked = np.where(mql >= 0, worked, -1)
    stage_index = (mql >= 0).astype(int) + (sql >= 0) + (opportunity >= 0) + (customer >= 0)
    account_numbers = leads["account"].to_numpy()
    all_names = world.account_name(account_numbers)
    mailbox = names.mailbox_names(
        pd.Series(leads["first_name"].to_numpy(), dtype="str"),
        pd.Series(leads["last_name"].to_numpy(), dtype="str"),
    )
    emails = (
        mailbox
        + pd.Series(leads["lead_number"].to_numpy() % 1000).astype("str")
        + "@"
        + world.account_domain(account_numbers)
    ).to_numpy(dtype=object)
    campaign_rows = leads["campaign_row"].to_numpy()
    canonical = pd.DataFrame(
        {
            "lead_id": (51_000_000 + leads["lead_number"].to_numpy() * 7).astype(str),
            "email": emails,
            "company_name": all_names,
            "account_id": world.account_id(account_numbers),
            "created_at": _minutes_to_stamps(created),
            "mql_at": _minutes_to_stamps(mql),
            "sql_at": _minutes_to_stamps(sql),
            "opportunity_at": _minutes_to_stamps(opportunity),
            "customer_at": _minutes_to_stamps(customer),
            "first_worked_at": _minutes_to_stamps(worked),
            "lifecycle_stage": np.asarray(LIFECYCLE_STAGES, dtype=object)[stage_index],
            "lead_status": leads["lead_status"].to_numpy(),
            "source_channel": leads["source_channel"].to_numpy(),
            "source_campaign_id": np.where(
                campaign_rows >= 0,
                world.campaigns["campaign_id"].to_numpy()[np.maximum(campaign_rows, 0)],
                None,
            ),
        }
    )
    extra = pd.DataFrame(
        {
            "first_name": leads["first_name"].to_numpy(),
            "last_name": leads["last_name"].to_numpy(),
            "campaign_name": np.where(
                campaign_rows >= 0,
                world.campaigns["campaign_name"].to_numpy()[np.maximum(campaign_rows, 0)],
                "",
            ),
        }
    )
    return canonical, extra


def _write_contacts(world: DemoWorld) -> Callable[[Path], Iterator[pd.DataFrame]]:
    columns = [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Company Name",
        "Lifecycle Stage",
        "Lead Status",
        "Create Date",
        "Became a Marketing Qualified Lead Date",
        "Became a Sales Qualified Lead Date",
        "Became an Opportunity Date",
        "Became a Customer Date",
        "Date of first engagement",
        "Original Source",
        "Lead Source",
        "Original Campaign",
        "Salesforce Account ID",
    ]

    def write(path: Path) -> Iterator[pd.DataFrame]:
        with exports.CsvExport(path, columns) as export:
            for month, chunk in lead_chunks(world.lead_context):
                world.mql_days_by_month[month.label] = chunk.leads["mql_day"].to_numpy()
                canonical, extra = _lead_frames(world, chunk)
                if canonical.empty:
                    continue
                vendor = pd.DataFrame(
                    {
                        "Record ID": canonical["lead_id"],
                        "First Name": extra["first_name"],
                        "Last Name": extra["last_name"],
                        "Email": canonical["email"],
                        "Company Name": canonical["company_name"],
                        "Lifecycle Stage": canonical["lifecycle_stage"],
                        "Lead Status": canonical["lead_status"],
                        "Create Date": exports.hubspot_timestamps(canonical["created_at"]),
                        "Became a Marketing Qualified Lead Date": exports.hubspot_timestamps(
                            canonical["mql_at"]
                        ),
                        "Became a Sales Qualified Lead Date": exports.hubspot_timestamps(
                            canonical["sql_at"]
                        ),
                        "Became an Opportunity Date": exports.hubspot_timestamps(
                            canonical["opportunity_at"]
                        ),
                        "Became a Customer Date": exports.hubspot_timestamps(
                            canonical["customer_at"]
                        ),
                        "Date of first engagement": exports.hubspot_timestamps(
                            canonical["first_worked_at"]
                        ),
                        "Original Source": canonical["source_channel"].map(
                            exports.HUBSPOT_ORIGINAL_SOURCE
                        ),
                        "Lead Source": canonical["source_channel"].map(
                            exports.SALESFORCE_LEAD_SOURCE
                        ),
                        "Original Campaign": extra["campaign_name"],
                        "Salesforce Account ID": canonical["account_id"],
                    }
                )
                export.write(vendor)
                yield canonical

    return write


def _touch_frame(
    world: DemoWorld, touches: pd.DataFrame, emails: np.ndarray, accounts: np.ndarray
) -> pd.DataFrame:
    campaign_rows = touches["campaign_row"].to_numpy()
    return pd.DataFrame(
        {
            "touch_id": "",
            "touched_at": _minutes_to_stamps(touches["minute"].to_numpy()),
            "contact_email": emails,
            "account_id": world.account_id(accounts),
            "campaign_id": np.where(
                campaign_rows >= 0,
                world.campaigns["campaign_id"].to_numpy()[np.maximum(campaign_rows, 0)],
                None,
            ),
            "channel": touches["channel"].to_numpy(),
            "touch_type": touches["touch_type"].to_numpy(),
        }
    )


def _write_touches(world: DemoWorld) -> Callable[[Path], Iterator[pd.DataFrame]]:
    columns = [
        "touch_id",
        "touched_at",
        "email",
        "account_id",
        "campaign_id",
        "channel",
        "touch_type",
    ]

    def write(path: Path) -> Iterator[pd.DataFrame]:
        as_of_end = (world.timeline.as_of_day + 1) * 1440
        number = 0
        with exports.CsvExport(path, columns) as export:
            for _quarter, chunk in lead_chunks(world.lead_context):
                canonical_leads, _extra = _lead_frames(world, chunk)
                visible = chunk.leads["created_at_day"].to_numpy() <= world.timeline.as_of_day
                position_map = np.cumsum(visible) - 1
                touches = chunk.touches
                touches = touches[
                    visible[touches["lead_position"].to_numpy()] & (touches["minute"] < as_of_end)
                ]
                positions = position_map[touches["lead_position"].to_numpy()]
                frame = _touch_frame(
                    world,
                    touches,
                    canonical_leads["email"].to_numpy()[positions],
                    chunk.leads["account"].to_numpy()[visible][positions],
                )
                frame["touch_id"] = [
                    f"TCH-{value:09d}" for value in range(number, number + len(frame))
                ]
                number += len(frame)
                _write_touch_rows(export, frame)
                yield frame
            customer = customer_touches(world.lead_context)
            customer = customer[customer["minute"] < as_of_end]
            mailbox = names.mailbox_names(
                pd.Series(customer["first_name"].to_numpy(), dtype="str"),
                pd.Series(customer["last_name"].to_numpy(), dtype="str"),
            )
            domains = world.account_domain(customer["account"].to_numpy())
            emails = (mailbox + "@" + domains).to_numpy(dtype=object)
            frame = _touch_frame(
                world, customer, np.asarray(emails, dtype=object), customer["account"].to_numpy()
            )
            frame["touch_id"] = [f"TCH-{value:09d}" for value in range(number, number + len(frame))]
            _write_touch_rows(export, frame)
            yield frame

    return write


def _write_touch_rows(export: exports.CsvExport, frame: pd.DataFrame) -> None:
    export.write(
        pd.DataFrame(
            {
                "touch_id": frame["touch_id"],
                "touched_at": exports.iso_timestamps(frame["touched_at"], "s"),
                "email": frame["contact_email"],
                "account_id": frame["account_id"],
                "campaign_id": exports.optional_text(frame["campaign_id"]),
                "channel": frame["channel"],
                "touch_type": frame["touch_type"],
            }
        )
    )


# --------------------------------------------------------------------------------------------
# ARR from billing (generic MRR by account and month)
# --------------------------------------------------------------------------------------------
def _write_revenue(world: DemoWorld) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        rows = world.customers.arr_rows
        window = (rows["month_day"] >= world.timeline.start_day) & (
            rows["month_day"] <= world.timeline.as_of_day
        )
        rows = rows[window].sort_values(["month_day", "account"], kind="stable")
        segments = np.asarray(world.customers.segments, dtype=object)
        columns = ["account_id", "account_name", "month", "mrr", "currency", "segment"]
        with exports.CsvExport(path, columns) as export:
            # Six months at a time: the whole history is millions of rows at large scales.
            for _half_year, chunk in rows.groupby(rows["month_index"] // 6, sort=True):
                account = chunk["account"].to_numpy()
                canonical = pd.DataFrame(
                    {
                        "account_id": world.account_id(account),
                        "month": _days_to_dates(chunk["month_day"]),
                        "account_name": world.account_name(account),
                        "segment": segments[account],
                        "arr_usd": chunk["arr_usd"].to_numpy(),
                    }
                )
                export.write(
                    pd.DataFrame(
                        {
                            "account_id": canonical["account_id"],
                            "account_name": canonical["account_name"],
                            "month": exports.iso_dates(canonical["month"]).str.slice(0, 7),
                            "mrr": exports.plain_number(canonical["arr_usd"] / 12, 2),
                            "currency": CURRENCY,
                            "segment": canonical["segment"],
                        }
                    )
                )
                yield canonical

    return write


# --------------------------------------------------------------------------------------------
# Actuals (including the hidden future) for goals and forecasts
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Actuals:
    """What really happened per period, including after the as-of date."""

    by_quarter: (
        pd.DataFrame
    )  # index quarter label: bookings, pipeline_created, sourced_pipeline, mqls
    by_year: pd.DataFrame  # index fiscal year label: arr_end, new_arr, spend, new_customers, ...


def compute_actuals(world: DemoWorld, mql_days: np.ndarray) -> Actuals:
    """Period totals from the full simulation (the truth goals and forecasts aimed at)."""
    timeline = world.timeline
    opportunities = world.opportunities
    quarters = timeline.quarters
    quarter_of_created = timeline.quarter_index(opportunities.created)
    quarter_of_close = timeline.quarter_index(np.minimum(opportunities.close_day, timeline.end_day))
    new_business = opportunities.kind == "new_business"
    booked = (
        opportunities.is_won
        & (opportunities.kind != "renewal")
        & (opportunities.close_day <= timeline.end_day)
    )
    sourced = new_business & np.isin(opportunities.channel, MARKETING_SOURCES)
    count = len(quarters)
    by_quarter = pd.DataFrame(
        {
            "bookings": np.bincount(
                quarter_of_close[booked], opportunities.amount_final[booked], count
            ),
            "pipeline_created": np.bincount(
                quarter_of_created[new_business], opportunities.amount_final[new_business], count
            ),
            "sourced_pipeline": np.bincount(
                quarter_of_created[sourced], opportunities.amount_final[sourced], count
            ),
            "mqls": np.bincount(
                timeline.quarter_index(
                    mql_days[(mql_days >= timeline.start_day) & (mql_days <= timeline.end_day)]
                ),
                minlength=count,
            ).astype(float),
        },
        index=[quarter.label for quarter in quarters],
    )
    calendar = timeline.calendar
    years = sorted({quarter.fiscal_year for quarter in quarters})
    events = world.customers.arr_events
    arr_rows = world.customers.arr_rows
    daily = world.spend.daily
    rows = []
    for fiscal_year in years:
        year = calendar.year(fiscal_year)
        first, last = to_day(year.start), to_day(year.end)
        in_year = (events["month_day"] >= first) & (events["month_day"] <= last)
        new_events = in_year & events["kind"].isin(["new", "reactivation"])
        last_month = to_day(date(year.end.year, year.end.month, 1))
        spend = daily.loc[
            (daily["spend_day"] >= first) & (daily["spend_day"] <= last), "amount_usd"
        ].sum()
        won_new = (
            new_business
            & opportunities.is_won
            & (opportunities.close_day >= first)
            & (opportunities.close_day <= last)
        )
        rows.append(
            {
                "year": year.label,
                "arr_end": arr_rows.loc[arr_rows["month_day"] == last_month, "arr_usd"].sum(),
                "new_arr": events.loc[new_events, "delta_usd"].sum(),
                "spend": spend,
                "new_customers": int(won_new.sum()),
            }
        )
    by_year = pd.DataFrame(rows).set_index("year")
    by_year["cac"] = by_year["spend"] / by_year["new_customers"].clip(lower=1)
    for metric in ("bookings", "sourced_pipeline", "mqls"):
        by_year[metric] = [
            by_quarter.loc[
                [
                    calendar.quarter(int(label[2:]), number).label
                    for number in range(1, 5)
                    if calendar.quarter(int(label[2:]), number).label in by_quarter.index
                ],
                metric,
            ].sum()
            for label in by_year.index
        ]
    return Actuals(by_quarter=by_quarter, by_year=by_year)


# --------------------------------------------------------------------------------------------
# Goals (generic format): the vision down to campaigns
# --------------------------------------------------------------------------------------------
def _goal_id(period: FiscalPeriod, key: str) -> str:
    compact = period.label.replace(" ", "-")
    return f"G-{compact}-{key}"


def _year_has_goals(world: DemoWorld, period: FiscalPeriod) -> bool:
    """Whether the demo sets goals for the fiscal year of ``period`` (fully simulated years)."""
    year = world.timeline.calendar.year(period.fiscal_year)
    timeline = world.timeline
    return year.end <= timeline.simulation_end and year.start >= timeline.history_start


def build_goals(world: DemoWorld, actuals: Actuals) -> pd.DataFrame:
    """The goal tree with targets set (imperfectly) against what was going to happen."""
    rng = np.random.default_rng([world.options.seed, 11])
    calendar = world.timeline.calendar
    current_year = calendar.fiscal_year_of(world.timeline.as_of)
    vision_period_start = calendar.year(current_year - 1).start
    vision_year = calendar.year(current_year + 3)
    arr_now = float(actuals.by_year.loc[calendar.year(current_year - 1).label, "arr_end"])
    vision_target = float(max(5e6, np.round(arr_now * 1.32**4 / 5e6) * 5e6))
    rows = [
        _goal_row(
            "G-VISION",
            None,
            "vision",
            f"Reach ${vision_target / 1e6:,.0f}M ARR by the end of {vision_year.label}",
            "arr",
            vision_target,
            f"FY{current_year - 1}–{vision_year.label}",
            vision_period_start,
            vision_year.end,
            PEOPLE["ceo"],
            "higher",
        ),
    ]
    owners = {
        "sourced_pipeline": PEOPLE["cmo"],
        "mqls": PEOPLE["vp_demand"],
        "cac": PEOPLE["cmo"],
        "bookings": PEOPLE["vp_sales"],
    }
    titles = {
        "sourced_pipeline": "Marketing-sourced pipeline",
        "mqls": "MQLs",
        "cac": "Marketing CAC",
        "bookings": "Bookings (sales target)",
    }
    keys = {
        "sourced_pipeline": "MKT-SOURCED",
        "mqls": "MKT-MQL",
        "cac": "MKT-CAC",
        "bookings": "SALES-BOOKINGS",
    }
    for label in actuals.by_year.index:
        year = calendar.parse(label)
        if not _year_has_goals(world, year):
            continue
        actual = actuals.by_year.loc[label]
        arr_goal = _goal_id(year, "ARR")
        new_goal = _goal_id(year, "NEW-ARR")
        rows.append(
            _goal_row(
                arr_goal,
                "G-VISION",
                "annual",
                f"ARR at the end of {label}",
                "arr",
                _stretch(rng, actual["arr_end"], 1.0, 1.06, 100_000),
                label,
                year.start,
                year.end,
                PEOPLE["ceo"],
                "higher",
            )
        )
        rows.append(
            _goal_row(
                new_goal,
                arr_goal,
                "annual",
                f"New ARR in {label}",
                "new_arr",
                _stretch(rng, actual["new_arr"], 0.98, 1.12, 50_000),
                label,
                year.start,
                year.end,
                PEOPLE["cfo"],
                "higher",
            )
        )
        for metric, key in keys.items():
            lower_is_better = metric == "cac"
            annual_target = (
                _stretch(rng, actual[metric], 0.88, 1.02, 100)
                if lower_is_better
                else _stretch(rng, actual[metric], 0.97, 1.12, 100 if metric == "mqls" else 50_000)
            )
            annual_id = _goal_id(year, key)
            rows.append(
                _goal_row(
                    annual_id,
                    new_goal,
                    "annual",
                    f"{titles[metric]} in {label}",
                    metric,
                    annual_target,
                    label,
                    year.start,
                    year.end,
                    owners[metric],
                    "lower" if lower_is_better else "higher",
                )
            )
            if lower_is_better:
                continue
            quarter_actuals = np.array(
                [
                    actuals.by_quarter.loc[calendar.quarter(year.fiscal_year, number).label, metric]
                    for number in range(1, 5)
                ]
            )
            shares = (
                quarter_actuals / quarter_actuals.sum()
                if quarter_actuals.sum()
                else np.full(4, 0.25)
            )
            shares = shares * rng.uniform(0.94, 1.06, 4)
            shares = shares / shares.sum()
            for number in range(1, 5):
                quarter = calendar.quarter(year.fiscal_year, number)
                step = 10 if metric == "mqls" else 10_000
                target = float(
                    max(step, np.round(annual_target * shares[number - 1] / step) * step)
                )
                rows.append(
                    _goal_row(
                        _goal_id(quarter, key),
                        annual_id,
                        "quarterly",
                        f"{titles[metric]} in {quarter.label}",
                        metric,
                        target,
                        quarter.label,
                        quarter.start,
                        quarter.end,
                        owners[metric],
                        "higher",
                    )
                )
    rows.extend(_campaign_goals(world, rng))
    return pd.DataFrame(rows)


def _stretch(
    rng: np.random.Generator, actual: float, low: float, high: float, step: float
) -> float:
    return float(max(step, np.round(actual * rng.uniform(low, high) / step) * step))


def _goal_row(
    goal_id: str,
    parent: str | None,
    level: str,
    name: str,
    metric: str,
    target: float,
    period_label: str,
    start: date,
    end: date,
    owner: str,
    direction: str,
    campaign_id: str | None = None,
) -> dict[str, object]:
    return {
        "goal_id": goal_id,
        "parent_goal_id": parent,
        "level": level,
        "goal_name": name,
        "metric": metric,
        "target": target,
        "period_label": period_label,
        "period_start": start,
        "period_end": end,
        "owner": owner,
        "direction": direction,
        "campaign_id": campaign_id,
    }


def _campaign_goals(world: DemoWorld, rng: np.random.Generator) -> list[dict[str, object]]:
    """Pipeline targets for the biggest campaigns of the current and previous quarter."""
    calendar = world.timeline.calendar
    current = calendar.quarter_containing(world.timeline.as_of)
    rows = []
    campaigns = _campaign_frame(world)
    opportunities = world.opportunities
    for quarter in (calendar.shift(current, -1), current):
        if not _year_has_goals(world, quarter):
            continue  # its quarterly goal, the campaign goal's parent, is not set
        in_quarter = campaigns[
            (pd.to_datetime(campaigns["start_date"]).dt.date >= quarter.start)
            & (pd.to_datetime(campaigns["start_date"]).dt.date <= quarter.end)
        ]
        biggest = in_quarter.nlargest(5, "budget_usd")
        for campaign in biggest.itertuples():
            row_number = int(
                np.flatnonzero(world.campaigns["campaign_id"].to_numpy() == campaign.campaign_id)[0]
            )
            sourced = opportunities.amount_final[(opportunities.campaign_row == row_number)].sum()
            target = _stretch(rng, max(sourced, campaign.budget_usd * 3), 0.95, 1.2, 10_000)
            rows.append(
                _goal_row(
                    f"G-CMP-{campaign.campaign_id}",
                    _goal_id(quarter, "MKT-SOURCED"),
                    "campaign",
                    f"Pipeline from {campaign.campaign_name}",
                    "sourced_pipeline",
                    target,
                    quarter.label,
                    quarter.start,
                    quarter.end,
                    campaign.owner,
                    "higher",
                    campaign.campaign_id,
                )
            )
    return rows


def _write_goals(
    world: DemoWorld, actuals: Callable[[], Actuals]
) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        frame = build_goals(world, actuals())
        vendor = pd.DataFrame(
            {
                "goal_id": frame["goal_id"],
                "parent_goal_id": exports.optional_text(frame["parent_goal_id"]),
                "level": frame["level"],
                "goal_name": frame["goal_name"],
                "metric": frame["metric"],
                "target": exports.plain_number(frame["target"], 2),
                "period": frame["period_label"],
                "period_start": [day.isoformat() for day in frame["period_start"]],
                "period_end": [day.isoformat() for day in frame["period_end"]],
                "owner": frame["owner"],
                "direction": frame["direction"],
                "campaign_id": exports.optional_text(frame["campaign_id"]),
            }
        )
        with exports.CsvExport(path, list(vendor.columns)) as export:
            export.write(vendor)
        yield frame

    return write


# --------------------------------------------------------------------------------------------
# Forecasts (generic format): every two weeks, optimistic early, converging late
# --------------------------------------------------------------------------------------------
FORECASTERS = (
    (PEOPLE["cmo"], {"bookings": 0.14, "pipeline_created": 0.10, "mqls": 0.08}),
    (PEOPLE["vp_demand"], {"pipeline_created": 0.18, "mqls": 0.12}),
    (PEOPLE["revops"], {"bookings": 0.03, "pipeline_created": 0.02}),
)


def build_forecasts(world: DemoWorld, actuals: Actuals) -> pd.DataFrame:
    """Biweekly submissions for the current and next quarter by each forecaster."""
    rng = np.random.default_rng([world.options.seed, 13])
    timeline = world.timeline
    calendar = timeline.calendar
    first = to_day(week_start(timeline.history_start)) + 14
    submissions = list(range(int(first), timeline.as_of_day + 1, 14))
    rows = []
    for submitted in submissions:
        submitted_date = to_date(submitted)
        current = calendar.quarter_containing(submitted_date)
        periods = [current]
        following = calendar.shift(current, 1)
        if (following.start - submitted_date).days <= 56:
            periods.append(following)
        for period in periods:
            if period.label not in actuals.by_quarter.index:
                continue
            horizon = (period.end - submitted_date).days / 7
            for forecaster, biases in FORECASTERS:
                for metric, bias in biases.items():
                    actual = float(actuals.by_quarter.loc[period.label, metric])
                    reach = min(horizon, 26) / 13
                    noise = rng.normal(0, 0.03 + 0.08 * reach)
                    most_likely = actual * (1 + bias * reach * rng.uniform(0.6, 1.4) + noise)
                    values = {
                        "commit": most_likely * (1 - 0.05 - 0.05 * reach),
                        "most_likely": most_likely,
                        "best_case": most_likely * (1 + 0.07 + 0.06 * reach),
                    }
                    step = 1 if metric == "mqls" else 1_000
                    for category, value in values.items():
                        rows.append(
                            {
                                "submitted_on": submitted_date,
                                "period_label": period.label,
                                "period_start": period.start,
                                "period_end": period.end,
                                "metric": metric,
                                "value": float(max(0, np.round(value / step) * step)),
                                "category": category,
                                "forecaster": forecaster,
                            }
                        )
    frame = pd.DataFrame(rows)
    frame.insert(0, "forecast_id", [f"FC-{number:06d}" for number in range(1, len(frame) + 1)])
    return frame


def _write_forecasts(
    world: DemoWorld, actuals: Callable[[], Actuals]
) -> Callable[[Path], Iterator[pd.DataFrame]]:
    def write(path: Path) -> Iterator[pd.DataFrame]:
        frame = build_forecasts(world, actuals())
        vendor = pd.DataFrame(
            {
                "forecast_id": frame["forecast_id"],
                "submitted_on": [day.isoformat() for day in frame["submitted_on"]],
                "period": frame["period_label"],
                "metric": frame["metric"],
                "value": exports.plain_number(frame["value"], 2),
                "category": frame["category"],
                "forecaster": frame["forecaster"],
            }
        )
        with exports.CsvExport(path, list(vendor.columns)) as export:
            export.write(vendor)
        yield frame

    return write


# --------------------------------------------------------------------------------------------
# Ground truth
# --------------------------------------------------------------------------------------------
def ground_truth(world: DemoWorld) -> dict[str, object]:
    """True response-curve parameters, for tests that check the simulator recovers them."""
    scale = world.options.scale
    channels = {}
    for truth in CHANNELS:
        channel = scaled(truth, scale)
        channels[truth.channel] = {
            "theta": channel.theta,
            "lag_weeks": channel.lag_weeks,
            "hill_k": channel.hill_k,
            "half_saturation_usd": round(channel.half_saturation_usd, 2),
            "beta_usd": round(channel.beta_usd, 2),
            "typical_weekly_spend_usd": round(channel.typical_weekly_spend_usd, 2),
            "typical_weekly_pipeline_usd": round(channel.typical_weekly_pipeline_usd, 2),
            "saturation_at_typical_spend": round(
                1 / (1 + channel.half_saturation_ratio**channel.hill_k), 4
            ),
            "seasonality_amplitude": channel.seasonality_amplitude,
            "seasonality_peak_iso_week": channel.seasonality_peak_week,
            "mean_deal_usd": channel.mean_deal_usd,
            "win_rate": channel.win_rate,
            "lead_to_opportunity_rate": channel.lead_to_opportunity_rate,
        }
    return {
        "description": (
            "True weekly response of each paid channel: a(t) = x(t - lag_weeks) + theta * a(t-1) "
            "(x = weekly spend in USD, weeks start on Monday, adstock starts at its steady state "
            "x_typical / (1 - theta)); expected new-business pipeline created in week t = "
            "season(t) * beta_usd * a^hill_k / (a^hill_k + half_saturation_usd^hill_k). season(t) "
            "= (1 + amplitude * cos(2 pi (iso_week - peak) / 52)) x 0.55 from 22 Dec to 3 Jan x "
            "0.8 in Thanksgiving week. Realised as Poisson counts of deals with lognormal amounts "
            "(sigma 0.7) of mean mean_deal_usd."
        ),
        "seed": world.options.seed,
        "scale": scale,
        "as_of": world.timeline.as_of.isoformat(),
        "history_start": world.timeline.history_start.isoformat(),
        "fiscal_year_start_month": FISCAL_YEAR_START_MONTH,
        "channels": channels,
        "baselines": {
            baseline.channel: {
                "weekly_pipeline_usd": baseline.weekly_pipeline_usd * scale,
                "annual_growth": baseline.annual_growth,
                "mean_deal_usd": baseline.mean_deal_usd,
                "win_rate": baseline.win_rate,
            }
            for baseline in BASELINES
        },
        "spend_experiments": [
            {
                "channel": channel,
                "quarter": world.timeline.quarters[
                    index + world.timeline.history_quarter_offset
                ].label,
                "multiplier": factor,
            }
            for channel, index, factor in SPEND_EXPERIMENTS
            if index + world.timeline.history_quarter_offset < len(world.timeline.quarters)
        ],
        "past_saturation": [t.channel for t in CHANNELS if t.half_saturation_ratio < 0.5],
        "room_to_grow": [t.channel for t in CHANNELS if t.half_saturation_ratio > 2.0],
    }


def write_ground_truth(world: DemoWorld, path: Path) -> None:
    """``ground_truth.json`` next to the exports (sorted keys: byte-for-byte reproducible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(ground_truth(world), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )


# --------------------------------------------------------------------------------------------
# The file list
# --------------------------------------------------------------------------------------------
def demo_files(world: DemoWorld) -> list[DemoFile]:
    """Every export of the demo company, in the order they load."""
    timeline = world.timeline
    as_of = timeline.as_of
    calendar = timeline.calendar
    actuals_cache: dict[str, Actuals] = {}

    def actuals() -> Actuals:
        if "value" not in actuals_cache:
            actuals_cache["value"] = compute_actuals(world, all_mql_days(world))
        return actuals_cache["value"]

    files = [
        # Goals first: campaigns name the goal they serve, and a link to a missing goal is refused.
        DemoFile("plans/goals.csv", "goals", "generic_goals", as_of, _write_goals(world, actuals)),
        DemoFile(
            "crm/campaigns.csv", "campaigns", "generic_campaigns", as_of, _write_campaigns(world)
        ),
        DemoFile("plans/budgets.csv", "budgets", "generic_budgets", as_of, _write_budgets(world)),
    ]
    years = calendar.periods_between(timeline.history_start, as_of, "year")
    last_complete = [year for year in years if year.end < as_of][-1:]
    for year in years:
        snapshot = min(year.end, as_of)
        tag = year.label
        excel = year in last_complete
        name = f"ads/google_ads_campaign_report_{tag}{'_excel' if excel else ''}.csv"
        files.append(
            DemoFile(
                name,
                "spend",
                "google_ads",
                snapshot,
                _write_google_ads(world, year, excel),
            )
        )
        files.append(
            DemoFile(
                f"ads/meta_ads_report_{tag}.csv",
                "spend",
                "meta_ads",
                snapshot,
                _write_meta(world, year),
            )
        )
        files.append(
            DemoFile(
                f"ads/linkedin_campaign_performance_{tag}.csv",
                "spend",
                "linkedin_ads",
                snapshot,
                _write_linkedin(world, year),
            )
        )
        files.append(
            DemoFile(
                f"finance/marketing_spend_{tag}.csv",
                "spend",
                "generic_spend",
                snapshot,
                _write_finance_spend(world, year),
            )
        )
    previous = timeline.start_day - 1
    for day in snapshot_days(timeline):
        stamp = to_date(day).isoformat()
        files.append(
            DemoFile(
                f"crm/opportunities/salesforce_opportunities_{stamp}.csv",
                "opportunities",
                "salesforce_dataloader",
                to_date(day),
                _write_opportunity_snapshot(world, day, previous),
            )
        )
        previous = day
    stamp = as_of.isoformat()
    files.append(
        DemoFile(
            f"marketing/hubspot_contacts_{stamp}.csv",
            "leads",
            "hubspot_contacts",
            as_of,
            _write_contacts(world),
        )
    )
    files.append(
        DemoFile(
            f"marketing/campaign_touches_{stamp}.csv",
            "touches",
            "generic_touches",
            as_of,
            _write_touches(world),
        )
    )
    files.append(
        DemoFile(
            "finance/billing_mrr_by_account.csv",
            "revenue",
            "generic_revenue",
            as_of,
            _write_revenue(world),
        )
    )
    files.append(
        DemoFile(
            "plans/forecasts.csv",
            "forecasts",
            "generic_forecasts",
            as_of,
            _write_forecasts(world, actuals),
        )
    )
    return files


def all_mql_days(world: DemoWorld) -> np.ndarray:
    """MQL days of every simulated lead, past and future (for the hidden actuals)."""
    months = world.timeline.calendar.periods_between(
        world.timeline.simulation_start, world.timeline.simulation_end, "month"
    )
    if len(world.mql_days_by_month) == len(months):
        days = list(world.mql_days_by_month.values())
    else:
        days = [chunk.leads["mql_day"].to_numpy() for _q, chunk in lead_chunks(world.lead_context)]
    values = np.concatenate(days) if days else np.array([], dtype=np.int64)
    return values[values < NEVER]


def settings_rows(world: DemoWorld) -> dict[str, str]:
    """Settings the demo store starts with."""
    return {
        "company_name": COMPANY_NAME,
        "currency": CURRENCY,
        "fiscal_year_start_month": str(FISCAL_YEAR_START_MONTH),
        "fiscal_year_named_by": "end",
        "is_demo": "true",
        "demo_seed": str(world.options.seed),
        "demo_scale": f"{world.options.scale:g}",
        "demo_as_of": world.timeline.as_of.isoformat(),
    }


def manifest(files: list[DemoFile]) -> str:
    """``manifest.json``: what each file is and the day it represents."""
    return (
        json.dumps(
            [
                {
                    "path": file.relative_path,
                    "kind": file.kind,
                    "source": file.source,
                    "snapshot_date": file.snapshot_date.isoformat(),
                }
                for file in files
            ],
            indent=2,
        )
        + "\n"
    )
