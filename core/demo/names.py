"""Believable, unique company and person names for the demo, from fixed word lists."""

from __future__ import annotations

import numpy as np
import pandas as pd

_PREFIXES = (
    "North",
    "Bright",
    "Blue",
    "Silver",
    "Iron",
    "Clear",
    "Summit",
    "Harbor",
    "Pine",
    "Red",
    "Stone",
    "Swift",
    "True",
    "Green",
    "Cedar",
    "Golden",
    "Open",
    "Prime",
    "Rapid",
    "Quiet",
    "Bold",
    "Crystal",
    "Deep",
    "Eagle",
    "Falcon",
    "Granite",
    "High",
    "Keen",
    "Lake",
    "Maple",
    "Nova",
    "Oak",
    "Pacific",
    "Quantum",
    "River",
    "Sky",
    "Terra",
    "Union",
    "Vast",
    "West",
)
_ROOTS = (
    "wave",
    "peak",
    "field",
    "bridge",
    "point",
    "line",
    "stream",
    "path",
    "gate",
    "works",
    "forge",
    "light",
    "mark",
    "scale",
    "core",
    "grid",
    "ridge",
    "base",
    "craft",
    "leaf",
    "haven",
    "view",
    "wind",
    "star",
    "port",
    "dale",
    "spring",
    "rock",
    "crest",
    "shore",
)
_SUFFIXES = (
    "Logistics", "Health", "Systems", "Retail", "Capital", "Foods", "Energy", "Labs",
    "Manufacturing", "Insurance", "Media", "Software", "Bank", "Pharma", "Networks",
    "Hospitality", "Freight", "Analytics", "Robotics", "Telecom", "Apparel", "Mining",
    "Biotech", "Realty", "Airlines", "Education", "Motors", "Chemicals", "Security", "Group",
)  # fmt: skip
_FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Elijah",
    "Sophia",
    "James",
    "Mia",
    "Lucas",
    "Amelia",
    "Mateo",
    "Harper",
    "Ethan",
    "Aisha",
    "Kenji",
    "Ines",
    "Rahul",
    "Chloe",
    "Omar",
    "Freya",
    "Diego",
    "Hannah",
    "Wei",
    "Zara",
    "Jonas",
    "Leila",
    "Marco",
    "Nadia",
    "Tomás",
)
_LAST_NAMES = (
    "Smith", "Garcia", "Kim", "Müller", "Rossi", "Okafor", "Tanaka", "Silva", "Nowak", "Dubois",
    "Hansen", "Patel", "Cohen", "Murphy", "Larsen", "Costa", "Ivanova", "Nakamura", "Walsh",
    "Fischer", "Moreau", "Singh", "Haddad", "Kowalski", "Berg", "Reyes", "Novak", "Ahmed",
    "Lindqvist", "Brennan",
)  # fmt: skip

NAME_COMBINATIONS = len(_PREFIXES) * len(_ROOTS) * len(_SUFFIXES)


class CompanyNames:
    """Company names by index, unique across indexes, computed on demand (no list is kept).

    Combinations are visited in a seeded order so neighbouring indexes do not look alike;
    past the last combination a number keeps names unique (``Northwave Labs 2``).
    """

    def __init__(self, seed: int) -> None:
        combinations = np.array(
            [
                f"{prefix}{root} {suffix}"
                for prefix in _PREFIXES
                for root in _ROOTS
                for suffix in _SUFFIXES
            ],
            dtype=object,
        )
        self._ordered = combinations[np.random.default_rng(seed).permutation(NAME_COMBINATIONS)]

    def names(self, indexes: np.ndarray) -> np.ndarray:
        """Names of companies ``indexes`` (an object array of str)."""
        lap, position = np.divmod(np.asarray(indexes, dtype=np.int64), NAME_COMBINATIONS)
        result = self._ordered[position]
        repeated = np.flatnonzero(lap > 0)
        if repeated.size:
            result = result.copy()
            result[repeated] = (
                result[repeated] + " " + (lap[repeated] + 1).astype(str).astype(object)
            )
        return result


def company_names(first_index: int, count: int, seed: int) -> list[str]:
    """Names of companies ``first_index .. first_index + count - 1``."""
    return CompanyNames(seed).names(np.arange(first_index, first_index + count)).tolist()


def email_domains(company_names: pd.Series) -> pd.Series:
    """Web domains companies of those names would use (lower case, letters and digits, ``.com``)."""
    return company_names.str.lower().str.replace(r"[^a-z0-9]", "", regex=True) + ".com"


def mailbox_names(first: pd.Series, last: pd.Series) -> pd.Series:
    """``first.last`` in lower case with accents dropped ."""
    text = (first + "." + last).str.lower().str.normalize("NFKD")
    return (
        text.str.encode("ascii", "ignore")
        .str.decode("ascii")
        .str.replace(r"[^a-z.]", "", regex=True)
    )


def person_names(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Random first and last names."""
    first = np.asarray(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), count)]
    last = np.asarray(_LAST_NAMES, dtype=object)[rng.integers(0, len(_LAST_NAMES), count)]
    return first, last
