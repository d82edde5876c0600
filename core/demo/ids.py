"""Identifiers shaped like the systems that issue them (Salesforce 18-character ids)."""

from __future__ import annotations

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    if number:
        raise ValueError(f"number does not fit in {width} base-62 digits")
    return "".join(reversed(digits))


def case_safe_suffix(id15: str) -> str:
    """Salesforce's 3-character suffix that makes a 15-character id case-insensitive."""
    if len(id15) != 15:
        raise ValueError(f"a Salesforce id has 15 characters before its suffix, got {len(id15)}")
    suffix = []
    for block in range(3):
        chunk = id15[block * 5 : block * 5 + 5]
        bits = sum(1 << position for position, char in enumerate(chunk) if "A" <= char <= "Z")
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def salesforce_id(prefix: str, number: int) -> str:
    """18-character Salesforce id with key ``prefix`` (``006`` opportunity, ``001`` account)."""
    if len(prefix) != 3:
        raise ValueError(f"a Salesforce key prefix has 3 characters, got {prefix!r}")
    id15 = prefix + "8d0000" + _base62(number, 6)
    return id15 + case_safe_suffix(id15)
