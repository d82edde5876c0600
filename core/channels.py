"""Marketing channels: the keys stored in the database and the names people read."""

from __future__ import annotations

from types import MappingProxyType

# Channels marketing spends money on, in the order the app lists them.
PAID_CHANNELS: tuple[str, ...] = (
    "paid_search",
    "paid_social",
    "linkedin",
    "events",
    "webinars",
    "content_seo",
    "partners",
    "outbound",
)

# Sources of pipeline that no paid channel creates.
UNPAID_SOURCES: tuple[str, ...] = ("direct", "sales", "customer")

CHANNEL_LABELS = MappingProxyType(
    {
        "paid_search": "Paid search",
        "paid_social": "Paid social",
        "linkedin": "LinkedIn",
        "events": "Events",
        "webinars": "Webinars",
        "content_seo": "Content & SEO",
        "partners": "Partners",
        "outbound": "Outbound",
        "direct": "Direct & organic",
        "sales": "Sales-sourced",
        "customer": "Customer base",
        # Vendor values no mapping names yet (a new lead source, a custom campaign type): they
        # load here and are listed on the Data page, where they can be mapped.
        "other": "Other (unmapped)",
    }
)


def channel_label(channel: str) -> str:
    """Readable name of a channel key; a channel a user added reads as its key in words."""
    if channel in CHANNEL_LABELS:
        return CHANNEL_LABELS[channel]
    return channel.replace("_", " ").strip().capitalize() or channel


def channel_key(label: str) -> str:
    """The key a channel a user adds is stored under: ``TikTok Ads`` -> ``tiktok_ads``."""
    key = "".join(character if character.isalnum() else "_" for character in label.lower())
    key = "_".join(part for part in key.split("_") if part)
    if not key or not key[0].isalpha() or len(key) > 40:
        raise ValueError(
            f"a channel name must start with a letter and be at most 40 characters, got {label!r}"
        )
    return key
