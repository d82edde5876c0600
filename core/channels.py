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
    }
)


def channel_label(channel: str) -> str:
    """Readable name of a channel key; unknown keys are shown as they are."""
    return CHANNEL_LABELS.get(channel, channel)
