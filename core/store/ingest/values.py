"""Vendor values mapped to the store's: a Salesforce ``Type`` to an opportunity type, a lead
source, campaign type or HubSpot traffic source to a channel.

A value is read, first found, from: what the user chose for this file, what was remembered for
the format (``value_mappings``), the channels the company added, then the defaults
(:mod:`.presets` vocabularies). A value none of them knows loads as ``other`` and is listed with
its row count (:class:`ValueCount`), so it can be mapped and the file loaded again; it never
rejects a row. Values are compared as :func:`presets.vocabulary_key` (letters and digits, lower
case), so ``Trade Show`` and ``trade-show`` are one value.

``Paid Social / LinkedIn`` (HubSpot's source and its first drill-down) is looked up whole, then
by its part before `` / ``: a drill-down no mapping names reads as its source.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.channels import CHANNEL_LABELS, channel_key
from core.store.ingest import sql
from core.store.ingest.presets import (
    OPEN_VOCABULARIES,
    OPPORTUNITY_TYPE_VOCABULARY,
    VOCABULARIES,
    vocabulary_key,
)
from core.store.schema import value_mappings

Origin = Literal["chosen", "remembered", "default", "unmapped"]
CUSTOM_CHANNELS_SETTING = "custom_channels"
OTHER = "other"
VALUES_LISTED = 200  # distinct values listed per field


@dataclass(frozen=True)
class ValueCount:
    """One distinct vendor value of a file's field, what it loads as, and why."""

    field: str
    column: str
    value: str
    rows: int
    loads_as: str
    origin: Origin


def custom_channels(store_settings: Mapping[str, str]) -> dict[str, str]:
    """Channels the company added: key -> name (``{"tiktok_ads": "TikTok Ads"}``)."""
    text = store_settings.get(CUSTOM_CHANNELS_SETTING)
    if not text:
        return {}
    try:
        found = json.loads(text)
    except ValueError:
        return {}
    return {str(key): str(label) for key, label in found.items()} if isinstance(found, dict) else {}


def targets(parse: str, store_settings: Mapping[str, str]) -> dict[str, str]:
    """The store's values a vendor value of ``parse`` may map to: key -> label."""
    if parse == "channel":
        return {**CHANNEL_LABELS, **custom_channels(store_settings)}
    if parse == "opportunity_type":
        return {
            "new_business": "New business",
            "expansion": "Expansion",
            "renewal": "Renewal",
            OTHER: "Other (unmapped)",
        }
    return {value: value for value in sorted(set(VOCABULARIES[parse].values()))}


def resolve_target(parse: str, text: str, store_settings: Mapping[str, str]) -> str:
    """The store value a user names (``Paid social``, ``paid_social``); ValueError otherwise."""
    known = targets(parse, store_settings)
    wanted = vocabulary_key(text)
    for key, label in known.items():
        if wanted in (vocabulary_key(key), vocabulary_key(label)):
            return key
    if parse == "channel":
        try:
            key = channel_key(text)
        except ValueError:
            key = ""
        if key in known:
            return key
    raise ValueError(
        f"{text!r} is not one of the store's values for {parse.replace('_', ' ')}: "
        + ", ".join(known.values())
    )


def remembered(connection: Connection, source: str) -> dict[str, dict[str, str]]:
    """Value mappings remembered for a format: field -> {vendor key -> store value}."""
    rows = connection.execute(
        sa.select(value_mappings.c.field, value_mappings.c.vendor_value, value_mappings.c.value)
        .where(value_mappings.c.source == source)
        .limit(10_000)
    ).all()
    found: dict[str, dict[str, str]] = {}
    for field, vendor, value in rows:
        found.setdefault(str(field), {})[str(vendor)] = str(value)
    return found


def remember(
    connection: Connection,
    source: str,
    chosen: Mapping[str, Mapping[str, str]],
    who: str,
    now: datetime,
) -> None:
    """Keep a user's value mapping for files of the same format (inside their transaction)."""
    for field, mapping in chosen.items():
        for vendor, value in mapping.items():
            key = vocabulary_key(vendor)
            connection.execute(
                value_mappings.delete().where(
                    value_mappings.c.source == source,
                    value_mappings.c.field == field,
                    value_mappings.c.vendor_value == key,
                )
            )
            connection.execute(
                value_mappings.insert().values(
                    source=source,
                    field=field,
                    vendor_value=key,
                    value=value,
                    confirmed_by=who,
                    confirmed_at=now,
                )
            )


@dataclass(frozen=True)
class Vocabulary:
    """What one field's values load as, with where each mapping came from."""

    parse: str
    mapping: Mapping[str, str]  # vendor key -> store value
    origins: Mapping[str, Origin]  # vendor key -> where its mapping came from
    open: bool  # unknown values load as "other" instead of being refused

    def lookup(self, value: str) -> tuple[str | None, Origin]:
        """What ``value`` loads as (None: refused), and why; the part before " / " counts too."""
        for candidate in (value, value.split(" / ")[0]):
            key = vocabulary_key(candidate)
            if key in self.mapping:
                return self.mapping[key], self.origins[key]
        return (OTHER, "unmapped") if self.open else (None, "unmapped")


def vocabulary_for(
    parse: str,
    store_settings: Mapping[str, str],
    remembered_values: Mapping[str, str],
    chosen: Mapping[str, str],
) -> Vocabulary:
    """The effective vocabulary of a field: defaults < added channels < remembered < chosen."""
    defaults = (
        dict(VOCABULARIES[parse])
        if parse != "opportunity_type"
        else dict(OPPORTUNITY_TYPE_VOCABULARY)
    )
    mapping: dict[str, str] = dict(defaults)
    origins: dict[str, Origin] = dict.fromkeys(defaults, "default")
    if parse == "channel":
        for key, label in custom_channels(store_settings).items():
            for spelling in (key, label):
                mapping[vocabulary_key(spelling)] = key
                origins[vocabulary_key(spelling)] = "default"
    for vendor, value in remembered_values.items():
        mapping[vocabulary_key(vendor)] = value
        origins[vocabulary_key(vendor)] = "remembered"
    for vendor, value in chosen.items():
        mapping[vocabulary_key(vendor)] = value
        origins[vocabulary_key(vendor)] = "chosen"
    return Vocabulary(parse, mapping, origins, parse in OPEN_VOCABULARIES)


def vocabulary_sql(column: str, vocabulary: Vocabulary) -> str:
    """SQL: a cell's store value; the part before " / " is tried next; then ``other`` for an
    open vocabulary (NULL, refused by the checks, for a closed one)."""
    cases = " ".join(
        f"when {sql.literal(vendor)} then {sql.literal(ours)}"
        for vendor, ours in sorted(vocabulary.mapping.items())
    )
    whole = f"case {sql.vocabulary_key(column)} {cases} end"
    first_part = f"split_part({column}, ' / ', 1)"
    before = f"case {sql.vocabulary_key(first_part)} {cases} end"
    fallback = f"case when {sql.blank_to_null(column)} is not null then 'other' end"
    parts = [whole, before] + ([fallback] if vocabulary.open else [])
    return f"coalesce({', '.join(parts)})"
