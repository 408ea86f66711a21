"""Screening lists: load published list files and look parties up in them.

The US Consolidated Screening List (CSV as trade.gov publishes it) is read here; every list
entry keeps its source list, programs, aliases and the countries of its addresses, so a hit
can say exactly which entry matched and why.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from screener.reference import names

CSL_REQUIRED_COLUMNS = ("_id", "source", "name", "alt_names", "addresses", "programs", "type")


class ListFormatError(ValueError):
    """A list file that cannot be read: names the file and the line."""


@dataclass(frozen=True)
class ListEntry:
    entry_id: str
    name: str
    source: str
    entity_type: str
    programs: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    countries: frozenset[str] = frozenset()
    list_id: str = ""


@dataclass(frozen=True)
class ListMatch:
    entry: ListEntry
    matched_name: str  # the list name or alias that matched
    how: str  # "exact" (same normalised words in order) or "reordered"
    country_agrees: bool | None  # None when the entry has no country to compare


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


def _address_country(address: str) -> str | None:
    # CSL addresses are "street, city, state, postal code, country" with ISO alpha-2 last.
    last = address.rsplit(",", 1)[-1].strip()
    return last if len(last) == 2 and last.isalpha() and last.isupper() else None


def load_csl_csv(path: Path, list_id: str = "us-csl") -> list[ListEntry]:
    """Entries of a Consolidated Screening List CSV file."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in CSL_REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise ListFormatError(f"{path}:1: not a CSL CSV file, missing columns {missing}")
            entries = []
            for row in reader:
                line = reader.line_num
                if None in row or not (row.get("name") or "").strip():
                    raise ListFormatError(f"{path}:{line}: row has extra cells or no name")
                addresses = _split(row["addresses"])
                countries = {c for a in addresses if (c := _address_country(a))}
                countries.update(_split(row.get("nationalities")))
                entries.append(
                    ListEntry(
                        entry_id=row["_id"].strip() or f"{path.name}:{line}",
                        name=row["name"].strip(),
                        source=row["source"].strip(),
                        entity_type=(row["type"] or "").strip(),
                        programs=_split(row["programs"]),
                        aliases=_split(row["alt_names"]),
                        addresses=addresses,
                        countries=frozenset(countries),
                        list_id=list_id,
                    )
                )
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ListFormatError(f"{path}: cannot read screening list: {exc}") from exc
    return entries


LOADERS = {"csl": load_csl_csv}


@dataclass
class ScreeningIndex:
    """Normalised-name index over list entries (names and aliases)."""

    by_name: dict[str, list[tuple[ListEntry, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_sorted: dict[str, list[tuple[ListEntry, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    size: int = 0

    @classmethod
    def build(cls, entries: Iterable[ListEntry]) -> ScreeningIndex:
        index = cls()
        for entry in entries:
            index.size += 1
            for written in (entry.name, *entry.aliases):
                if key := names.normalise(written):
                    index.by_name[key].append((entry, written))
                    index.by_sorted[names.sorted_key(written)].append((entry, written))
        return index

    def lookup(self, name: str, country: str | None = None) -> list[ListMatch]:
        """Entries whose name or alias equals `name` once both are normalised."""
        found: dict[str, ListMatch] = {}
        for how, table, key in (
            ("exact", self.by_name, names.normalise(name)),
            ("reordered", self.by_sorted, names.sorted_key(name)),
        ):
            for entry, written in table.get(key, ()) if key else ():
                if entry.entry_id not in found:
                    agrees = (country in entry.countries) if entry.countries else None
                    found[entry.entry_id] = ListMatch(entry, written, how, agrees)
        return list(found.values())
