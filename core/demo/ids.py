"""Identifiers shaped like the systems that issue them (Salesforce 18-character ids)."""

from __future__ import annotations

import numpy as np

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


def salesforce_ids(prefix: str, numbers: np.ndarray) -> np.ndarray:
    """:func:`salesforce_id` for many numbers at once (same ids, computed with numpy)."""
    if len(prefix) != 3:
        raise ValueError(f"a Salesforce key prefix has 3 characters, got {prefix!r}")
    numbers = np.asarray(numbers, dtype=np.int64)
    if numbers.size and (numbers.min() < 0 or numbers.max() >= 62**6):
        raise ValueError("numbers must fit in 6 base-62 digits")
    alphabet = np.frombuffer(_BASE62.encode(), dtype=np.uint8)
    codes = np.empty((numbers.size, 18), dtype=np.uint8)
    codes[:, :9] = np.frombuffer((prefix + "8d0000").encode(), dtype=np.uint8)
    remaining = numbers.copy()
    for position in range(14, 8, -1):
        codes[:, position] = alphabet[remaining % 62]
        remaining //= 62
    uppercase = (codes[:, :15] >= ord("A")) & (codes[:, :15] <= ord("Z"))
    weights = 1 << np.arange(5)
    suffix_alphabet = np.frombuffer(_SUFFIX_ALPHABET.encode(), dtype=np.uint8)
    for block in range(3):
        bits = (uppercase[:, block * 5 : block * 5 + 5] * weights).sum(axis=1)
        codes[:, 15 + block] = suffix_alphabet[bits]
    return codes.view("S18").ravel().astype(str).astype(object)
