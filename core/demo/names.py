"""Believable, unique company and person names for the demo, from fixed word lists."""

from __future__ import annotations

import re

import numpy as np

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


def company_names(first_index: int, count: int, seed: int) -> list[str]:
    """Names of companies ``first_index .. first_index + count - 1``, unique across indexes.

    Combinations are visited in a seeded order so neighbouring indexes do not look alike;
    past the last combination a ``Group n`` qualifier keeps names unique.
    """
    order = np.random.default_rng(seed).permutation(NAME_COMBINATIONS)
    names = []
    for index in range(first_index, first_index + count):
        lap, position = divmod(index, NAME_COMBINATIONS)
        combination = int(order[position])
        prefix, rest = divmod(combination, len(_ROOTS) * len(_SUFFIXES))
        root, suffix = divmod(rest, len(_SUFFIXES))
        name = f"{_PREFIXES[prefix]}{_ROOTS[root]} {_SUFFIXES[suffix]}"
        names.append(name if lap == 0 else f"{name} {lap + 1}")
    return names


def email_domain(company_name: str) -> str:
    """Web domain a company of that name would use."""
    return re.sub(r"[^a-z0-9]", "", company_name.lower()) + ".com"


def person_names(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Random first and last names."""
    first = np.asarray(_FIRST_NAMES, dtype=object)[rng.integers(0, len(_FIRST_NAMES), count)]
    last = np.asarray(_LAST_NAMES, dtype=object)[rng.integers(0, len(_LAST_NAMES), count)]
    return first, last


def ascii_local_part(first: str, last: str) -> str:
    """Mailbox name for a person: lower case, accents dropped."""
    text = f"{first}.{last}".lower()
    replacements = str.maketrans({"ü": "u", "á": "a", "é": "e", "í": "i", "ó": "o", "ö": "o"})
    return re.sub(r"[^a-z.]", "", text.translate(replacements))
