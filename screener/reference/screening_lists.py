"""Screening lists: load published list files and look parties up in them.

Four published formats are read into the same `ListEntry` records, each loader registered in
`LOADERS` under the `format` name a policy gives its list:

- "csl": the US Consolidated Screening List CSV as trade.gov publishes it;
- "csl-json": the same list as JSON (an object whose "results" hold the entries);
- "sdn": OFAC's SDN list as its CSV trio, sdn.csv plus alt.csv and add.csv beside it;
- "un": the UN Security Council consolidated list XML.

Every entry keeps its source list, programs, aliases, addresses, the ISO countries of its
addresses and nationalities, and its identifiers (tax, registration, passport numbers as
printed), so a hit can say exactly which entry matched and why. A file that cannot be read
raises `ListFormatError` naming the file and the line.
"""

from __future__ import annotations

import csv
import json
import re
import warnings
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pycountry
from unidecode import unidecode

from screener.reference import names

CSL_REQUIRED_COLUMNS = ("_id", "source", "name", "alt_names", "addresses", "programs", "type")
SDN_SOURCE = "Specially Designated Nationals (SDN) - Treasury Department"
UN_SOURCE = "UN Security Council Consolidated List"


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
    identifiers: tuple[str, ...] = ()  # "Tax ID No. 7700000001", "Passport E00000013", ...


@dataclass(frozen=True)
class ListMatch:
    entry: ListEntry
    matched_name: str  # the list name or alias that matched
    how: str  # "exact" (same normalised words in order) or "reordered"
    country_agrees: bool | None  # None when the entry has no country to compare


# ---------------------------------------------------------------------------------------------
# Shared cleaning: text, aliases, addresses, countries, identifiers


def _clean(text: Any) -> str:
    """Text with runs of whitespace collapsed; None and OFAC's "-0-" placeholder become ""."""
    text = " ".join(str(text if text is not None else "").split())
    return "" if text == "-0-" else text


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (cell or "").split(";") if part.strip())


def _aliases(name: str, candidates: Iterable[str]) -> tuple[str, ...]:
    """Aliases in published order, without blanks, repeats or the primary name itself."""
    seen = {name.casefold()}
    kept = []
    for candidate in candidates:
        alias = _clean(candidate)
        if alias and alias.casefold() not in seen:
            seen.add(alias.casefold())
            kept.append(alias)
    return tuple(kept)


def _readable_address(*parts: Any) -> str:
    """The non-empty text parts of an address joined with commas."""
    texts = (_clean(p) for p in parts if isinstance(p, str | int | float))
    return ", ".join(text for text in texts if text)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v))


# Country names as OFAC and the UN write them that pycountry does not resolve (or resolves to
# the wrong country when searched fuzzily, like "Republic of Korea" or "Kosovo").
COUNTRY_SPELLINGS = {
    "Burma": "MM",
    "Turkey": "TR",
    "Russia": "RU",
    "Macau": "MO",
    "Macau, China": "MO",
    "China, Macao Special Administrative Region": "MO",
    "Hong Kong, China": "HK",
    "China, Hong Kong Special Administrative Region": "HK",
    "Korea, North": "KP",
    "Korea, South": "KR",
    "Republic of Korea": "KR",
    "Brunei": "BN",
    "Cape Verde": "CV",
    "Swaziland": "SZ",
    "West Bank": "PS",
    "Gaza": "PS",
    "Palestinian Territories": "PS",
    "Region: Crimea": "UA",
    "Macedonia": "MK",
    "The former Yugoslav Republic of Macedonia": "MK",
    "Holy See": "VA",
    "Micronesia": "FM",
    "Kosovo": "XK",  # user-assigned code used by OFAC, the EU and the CSL
}


def _country_key(text: str) -> str:
    key = re.sub(r"[^a-z0-9]+", " ", unidecode(text).casefold()).strip()
    key = re.sub(r"^the |^region |\bst\b", lambda m: "saint" if m[0] == "st" else "", key)
    return " ".join(key.split())


@lru_cache(maxsize=1)
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        for written in (
            country.name,
            getattr(country, "official_name", None),
            getattr(country, "common_name", None),
        ):
            if not written:
                continue
            index[_country_key(written)] = country.alpha_2
            head, sep, tail = written.partition(", ")  # "Korea, Republic of" -> "Republic of Korea"
            if sep:
                index[_country_key(f"{tail} {head}")] = country.alpha_2
        index[country.alpha_3.lower()] = country.alpha_2
    index.update({_country_key(k): code for k, code in COUNTRY_SPELLINGS.items()})
    return index


@lru_cache(maxsize=4096)
def country_code(written: str | None) -> str | None:
    """ISO 3166-1 alpha-2 code of a country as lists write it ("Russia", "Korea, North", "HK").

    Exact names, official names and common names first, then the `COUNTRY_SPELLINGS` table,
    then pycountry's fuzzy search when it names exactly one country; None when unknown.
    """
    text = _clean(written)
    if not text:
        return None
    if len(text) == 2 and text.isalpha():
        code = text.upper()
        return code if pycountry.countries.get(alpha_2=code) or code == "XK" else None
    index = _country_index()
    variants = [text]
    head, sep, tail = text.partition(", ")  # "Congo, Democratic Republic of the", "Bahamas, The"
    if sep:
        variants.append(f"{tail} {head}")
    if (bare := re.sub(r"\s*\([^()]*\)$", "", text)) != text:  # "Iran (Islamic Republic of)"
        variants.append(bare)
    for variant in variants:
        if code := index.get(_country_key(variant)):
            return code
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = {c.alpha_2 for c in pycountry.countries.search_fuzzy(text)}
        except LookupError:
            return None
    return found.pop() if len(found) == 1 else None


def _countries(written: Iterable[Any]) -> frozenset[str]:
    return frozenset(code for w in written if isinstance(w, str) and (code := country_code(w)))


# Labels of the identifiers lists print ("Tax ID No.", "Registration Number", "Passport",
# "Unified Social Credit Code (USCC)", "SWIFT/BIC", "IMO", ...) and of remarks that are not one.
_ID_LABEL = re.compile(
    r"\b(?:ID|No|Number|Passport|Registration|Registry|Reg|Code|SWIFT|BIC|IMO|MMSI|Cedula|CURP|"
    r"RFC|NIT|RUC|RUT|INN|OGRN|KPP|USCC|UEN|LEI|D-U-N-S|License|Licence|Certificate|"
    r"Identification|Tax|VAT|CUIT)\b|R\.F\.C\.|C\.U\.R\.P\.",
    re.IGNORECASE,
)
_NOT_AN_ID = re.compile(
    r"^(?:DOB|POB|nationality|citizen|Gender|Website|Email|Phone|Telephone|Fax|Title|"
    r"Secondary sanctions|Additional Sanctions|Organization Established|Organization Type|"
    r"Vessel Year of Build|Target Type|Executive Order|Transactions Prohibited|Linked To|"
    r"Listing Date|Effective Date|Digital Currency Address|[afn]\.k\.a\.)",
    re.IGNORECASE,
)
_ID_VALIDITY = re.compile(r"\s+(?:issued|expires|expiry|valid)\b.*$", re.IGNORECASE)
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)$")  # "(Russia)", "(individual)"


def _identifier(text: str) -> str | None:
    """An identifier as printed, without its country, issue and expiry notes, or None.

    "Tax ID No. 7700000001 (Russia)" -> "Tax ID No. 7700000001"; "DOB 02 Apr 1971" -> None.
    """
    text = re.sub(r"^alt\.\s*", "", _clean(text), flags=re.IGNORECASE)
    if not text or _NOT_AN_ID.match(text) or not _ID_LABEL.search(text):
        return None
    text = _ID_VALIDITY.sub("", text)
    while (stripped := _TRAILING_NOTE.sub("", text)) != text:
        text = stripped
    text = text.rstrip(" .,:")
    if len(text.split()) < 2:  # a label with no value
        return None
    return text if re.search(r"\d", text) or re.match(r"SWIFT|BIC", text, re.I) else None


def _identifiers(texts: Iterable[str]) -> tuple[str, ...]:
    return _unique(ident for text in texts if (ident := _identifier(text)))


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2} [A-Za-z]{3} \d{4}$")


def _csl_id(part: str) -> str:
    """One CSL CSV `ids` item, "Tax ID No., 7700000001, RU" or "Tax ID No. 7700000001, RU",
    as "Tax ID No. 7700000001": type and number, without the country and dates after them."""
    fields = [f.strip() for f in part.split(",")]
    while len(fields) > 1 and (
        not fields[-1] or _DATE.match(fields[-1]) or re.fullmatch(r"[A-Z]{2}", fields[-1])
    ):
        fields.pop()
    return " ".join(f for f in fields if f)


# ---------------------------------------------------------------------------------------------
# CSV reading shared by the CSL and OFAC loaders


def _decode_lines(raw: bytes) -> list[str]:
    """Physical lines of a CSV file, each decoded as UTF-8, else as Windows-1252 as OFAC's
    files are written (Latin-1 for the five bytes cp1252 leaves undefined). A trailing
    control-Z (the DOS end-of-file mark OFAC still appends) is dropped."""
    raw = raw.removeprefix(b"\xef\xbb\xbf").rstrip(b"\x1a\r\n\t ")
    lines = []
    for chunk in raw.splitlines(keepends=True):
        for encoding in ("utf-8", "cp1252", "latin-1"):
            try:
                lines.append(chunk.decode(encoding))
                break
            except UnicodeDecodeError:
                continue
    return lines


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as exc:
        raise ListFormatError(f"{path}: screening list file not found") from exc
    except OSError as exc:
        raise ListFormatError(f"{path}: cannot read screening list: {exc}") from exc


def _csv_rows(path: Path, columns: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each non-blank CSV record; `line` is the physical line it starts on.

    With `columns`, a record with any other number of cells is an error naming its line.
    """
    reader = csv.reader(_decode_lines(_read_bytes(path)), strict=True)
    line = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ListFormatError(f"{path}:{line}: malformed CSV: {exc}") from None
        if any(cell.strip() for cell in cells):
            if columns is not None and len(cells) != columns:
                raise ListFormatError(
                    f"{path}:{line}: expected {columns} columns, got {len(cells)}"
                )
            yield line, cells
        line = reader.line_num + 1


# ---------------------------------------------------------------------------------------------
# US Consolidated Screening List, CSV


def _address_country(address: str) -> str | None:
    # CSL addresses are "street, city, state, postal code, country" with ISO alpha-2 last.
    last = address.rsplit(",", 1)[-1].strip()
    return last if len(last) == 2 and last.isalpha() and last.isupper() else None


def load_csl_csv(path: Path, list_id: str = "us-csl") -> list[ListEntry]:
    """Entries of a Consolidated Screening List CSV file."""
    rows = _csv_rows(path)
    first = next(rows, None)
    header = [h.strip() for h in first[1]] if first else []
    missing = [c for c in CSL_REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ListFormatError(f"{path}:1: not a CSL CSV file, missing columns {missing}")
    entries = []
    for line, cells in rows:
        if len(cells) != len(header):
            raise ListFormatError(
                f"{path}:{line}: expected {len(header)} columns, got {len(cells)}"
            )
        row = dict(zip(header, cells, strict=True))
        name = _clean(row["name"])
        if not name:
            raise ListFormatError(f"{path}:{line}: entry has no name")
        addresses = tuple(
            readable
            for a in _split(row["addresses"])
            if (readable := _readable_address(*a.split(",")))
        )
        countries = {c for a in addresses if (c := _address_country(a))}
        countries.update(_split(row.get("nationalities")))
        entries.append(
            ListEntry(
                entry_id=row["_id"].strip() or f"{path.name}:{line}",
                name=name,
                source=row["source"].strip(),
                entity_type=row["type"].strip(),
                programs=_split(row["programs"]),
                aliases=_aliases(name, _split(row["alt_names"])),
                addresses=addresses,
                countries=frozenset(countries),
                list_id=list_id,
                identifiers=_identifiers(_csl_id(p) for p in _split(row.get("ids"))),
            )
        )
    return entries


# ---------------------------------------------------------------------------------------------
# US Consolidated Screening List, JSON


class _BadEntry(ValueError):
    """A JSON entry field of the wrong shape; the loader adds file and line."""


def _json_strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return list(_split(value))
    if isinstance(value, list) and all(
        isinstance(v, str | int | float) or v is None for v in value
    ):
        return [text for v in value if (text := _clean(v))]
    raise _BadEntry(f"{what} should be a list of strings")


def _json_objects(value: Any, what: str) -> list[dict[str, Any]]:
    if value is None:
        return []
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise _BadEntry(f"{what} should be a list of objects")


def _json_item_lines(text: str) -> list[int]:
    """Line on which each entry of the document's "results" array (or top-level array) starts.

    Only called on text json.loads has accepted, to name the line of a bad entry.
    """
    decoder = json.JSONDecoder()

    def skip(i: int) -> int:
        while i < len(text) and text[i] in " \t\r\n":
            i += 1
        return i

    def array_lines(i: int) -> list[int]:
        starts, i = [], skip(i + 1)
        while text[i] != "]":
            starts.append(i)
            _, i = decoder.raw_decode(text, i)
            i = skip(i)
            i = skip(i + 1) if text[i] == "," else i
        return [text.count("\n", 0, s) + 1 for s in starts]

    i = skip(0)
    if text[i] == "[":
        return array_lines(i)
    lines: list[int] = []
    i = skip(i + 1)
    while text[i] != "}":
        key, i = decoder.raw_decode(text, i)
        i = skip(skip(i) + 1)  # past the colon
        if key == "results" and text[i] == "[":
            lines = array_lines(i)
        _, i = decoder.raw_decode(text, i)
        i = skip(i)
        i = skip(i + 1) if text[i] == "," else i
    return lines


def _csl_json_entry(item: dict[str, Any], list_id: str) -> ListEntry:
    name = _clean(item.get("name")) if isinstance(item.get("name"), str) else ""
    if not name:
        raise _BadEntry("entry has no name")
    addresses, countries = [], []
    for address in _json_objects(item.get("addresses"), "addresses"):
        parts = [address.get(k) for k in ("address", "city", "state", "postal_code", "country")]
        if readable := _readable_address(*parts):
            addresses.append(readable)
        countries.append(address.get("country"))
    countries += _json_strings(item.get("nationalities"), "nationalities")
    ids = [
        " ".join(p for p in (_clean(i.get("type")), _clean(i.get("number"))) if p)
        for i in _json_objects(item.get("ids"), "ids")
    ]
    entry_id = next(
        (_clean(item[k]) for k in ("id", "_id", "entity_number") if _clean(item.get(k))), ""
    )
    return ListEntry(
        entry_id=entry_id,
        name=name,
        source=_clean(item.get("source")),
        entity_type=_clean(item.get("type")),
        programs=tuple(_json_strings(item.get("programs"), "programs")),
        aliases=_aliases(name, _json_strings(item.get("alt_names"), "alt_names")),
        addresses=_unique(addresses),
        countries=_countries(countries),
        list_id=list_id,
        identifiers=_identifiers(ids),
    )


def load_csl_json(path: Path, list_id: str = "us-csl") -> list[ListEntry]:
    """Entries of a Consolidated Screening List JSON file ({"results": [...]}, as trade.gov
    publishes it; a bare array of entries is read too). Unknown fields are ignored."""
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ListFormatError(f"{path}:{line}: not UTF-8 text: {exc.reason}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ListFormatError(f"{path}:{exc.lineno}: not valid JSON: {exc.msg}") from None
    results = document.get("results") if isinstance(document, dict) else document
    if not isinstance(results, list):
        raise ListFormatError(f'{path}:1: not a CSL JSON file, no "results" list')
    item_lines: list[int] = []  # found only when an entry needs its line

    def line_of(number: int) -> int:
        if not item_lines:
            item_lines.extend(_json_item_lines(text))
        return item_lines[number]

    entries = []
    for number, item in enumerate(results):
        try:
            if not isinstance(item, dict):
                raise _BadEntry("entry is not an object")
            entry = _csl_json_entry(item, list_id)
        except _BadEntry as exc:
            raise ListFormatError(f"{path}:{line_of(number)}: results[{number}]: {exc}") from None
        if not entry.entry_id:
            entry = replace(entry, entry_id=f"{path.name}:{line_of(number)}")
        entries.append(entry)
    return entries


# ---------------------------------------------------------------------------------------------
# OFAC SDN, CSV trio (sdn.csv, alt.csv, add.csv)

SDN_COLUMNS = 12  # ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign, Vess_type, Tonnage,
#                   GRT, Vess_flag, Vess_owner, Remarks
ALT_COLUMNS = 5  # ent_num, alt_num, alt_type, alt_name, alt_remarks
ADD_COLUMNS = 6  # ent_num, add_num, address, city/state/postal, country, add_remarks
_SDN_TYPES = {"": "Entity", "individual": "Individual", "vessel": "Vessel", "aircraft": "Aircraft"}
_NATIONALITY = re.compile(r"^(?:alt\.\s*)?(?:nationality|citizen)\s+(.+)$", re.IGNORECASE)


def _companion(path: Path, name: str) -> Path | None:
    """The file `name` beside `path` ("alt.csv" next to "sdn.csv"), any letter case."""
    exact = path.with_name(name)
    if exact.exists():
        return exact
    siblings = path.parent.glob("*") if path.parent.is_dir() else ()
    return next((p for p in siblings if p.name.lower() == name), None)


def _ent_num(path: Path, line: int, cell: str) -> str:
    number = cell.strip()
    if not number.isdigit():
        raise ListFormatError(f"{path}:{line}: ent_num {number!r} is not a number")
    return number


def _ofac_companion_rows(path: Path, name: str, columns: int) -> dict[str, list[list[str]]]:
    rows: dict[str, list[list[str]]] = defaultdict(list)
    if companion := _companion(path, name):
        for line, cells in _csv_rows(companion, columns):
            rows[_ent_num(companion, line, cells[0])].append([_clean(c) for c in cells])
    return rows


def load_ofac_sdn_csv(path: Path, list_id: str = "ofac-sdn") -> list[ListEntry]:
    """Entries of OFAC's SDN list in its CSV trio: `path` is sdn.csv; alt.csv (aliases) and
    add.csv (addresses) are read from the same folder when present."""
    rows = list(_csv_rows(path, SDN_COLUMNS))
    aliases = _ofac_companion_rows(path, "alt.csv", ALT_COLUMNS)
    addresses = _ofac_companion_rows(path, "add.csv", ADD_COLUMNS)
    entries = []
    for line, cells in rows:
        ent_num = _ent_num(path, line, cells[0])
        name, sdn_type, program, *_rest, remarks = (_clean(c) for c in cells[1:])
        if not name:
            raise ListFormatError(f"{path}:{line}: entry {ent_num} has no name")
        remark_parts = [p.strip() for p in remarks.rstrip(".").split(";")]
        nationalities = [m[1] for p in remark_parts if (m := _NATIONALITY.match(p))]
        entry_addresses = [
            (_readable_address(street, city, country), country)
            for _ent, _num, street, city, country, _note in addresses.get(ent_num, ())
        ]
        entries.append(
            ListEntry(
                entry_id=ent_num,
                name=name,
                source=SDN_SOURCE,
                entity_type=_SDN_TYPES.get(sdn_type.lower(), sdn_type.title()),
                programs=_unique(p.strip(" []") for p in re.split(r"\]\s*\[", program)),
                aliases=_aliases(name, (row[3] for row in aliases.get(ent_num, ()))),
                addresses=_unique(a for a, _ in entry_addresses),
                countries=_countries([c for _, c in entry_addresses] + nationalities),
                list_id=list_id,
                identifiers=_identifiers(remark_parts),
            )
        )
    return entries


# ---------------------------------------------------------------------------------------------
# UN Security Council consolidated list, XML


def _parse_xml(path: Path) -> tuple[ET.Element, dict[ET.Element, int]]:
    """The document's root and the line each element starts on. Entity declarations are
    refused (no billion-laughs or external entities); the UN file has none."""
    builder = ET.TreeBuilder()
    lines: dict[ET.Element, int] = {}
    parser = expat.ParserCreate()

    def start(tag: str, attrs: dict[str, str]) -> None:
        lines[builder.start(tag, attrs)] = parser.CurrentLineNumber

    def refuse(*_: Any) -> None:
        raise ListFormatError(f"{path}:{parser.CurrentLineNumber}: entity declarations refused")

    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    raw = _read_bytes(path)
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise ListFormatError(f"{path}:{exc.lineno}: malformed XML: {reason}") from None
    return builder.close(), lines


def _child_text(element: ET.Element, path: str) -> str:
    found = element.find(path)
    return _clean(found.text) if found is not None else ""


def _un_entry(
    element: ET.Element, kind: str, list_id: str, low_quality_aliases: bool
) -> ListEntry | None:
    parts = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
    name = " ".join(t for p in parts if (t := _child_text(element, p)))
    if not name:
        return None
    aliases = [
        _child_text(alias, "ALIAS_NAME")
        for alias in element.iter(f"{kind}_ALIAS")
        if low_quality_aliases or _child_text(alias, "QUALITY").casefold() != "low"
    ]
    aliases.append(_child_text(element, "NAME_ORIGINAL_SCRIPT"))
    address_parts = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
    addresses = [
        [_child_text(address, p) for p in address_parts]
        for address in element.iter(f"{kind}_ADDRESS")
    ]
    nationalities = [_clean(v.text) for v in element.findall("NATIONALITY/VALUE")]
    documents = [
        " ".join(t for p in ("TYPE_OF_DOCUMENT", "NUMBER") if (t := _child_text(document, p)))
        for document in element.iter(f"{kind}_DOCUMENT")
        if _child_text(document, "NUMBER")
    ]
    return ListEntry(
        entry_id=_child_text(element, "REFERENCE_NUMBER") or _child_text(element, "DATAID"),
        name=name,
        source=UN_SOURCE,
        entity_type="Individual" if kind == "INDIVIDUAL" else "Entity",
        programs=_unique([_child_text(element, "UN_LIST_TYPE")]),
        aliases=_aliases(name, aliases),
        addresses=_unique(_readable_address(*a) for a in addresses),
        countries=_countries([a[-1] for a in addresses] + nationalities),
        list_id=list_id,
        identifiers=_unique(documents),
    )


def load_un_xml(
    path: Path, list_id: str = "un-consolidated", low_quality_aliases: bool = False
) -> list[ListEntry]:
    """Entries of the UN Security Council consolidated list XML (CONSOLIDATED_LIST with
    INDIVIDUALS and ENTITIES). Aliases the UN marks "Low" quality are left out unless asked
    for: they are fragments such as kunyas that match far too many parties."""
    root, lines = _parse_xml(path)
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(
            f"{path}:{lines.get(root, 1)}: not a UN consolidated list, root is <{root.tag}>"
        )
    entries = []
    for group, kind in (("INDIVIDUALS", "INDIVIDUAL"), ("ENTITIES", "ENTITY")):
        for element in root.findall(f"{group}/{kind}"):
            entry = _un_entry(element, kind, list_id, low_quality_aliases)
            if entry is None:
                raise ListFormatError(f"{path}:{lines[element]}: {kind} has no name")
            if not entry.entry_id:
                entry = replace(entry, entry_id=f"{path.name}:{lines[element]}")
            entries.append(entry)
    return entries


Loader = Callable[[Path, str], list[ListEntry]]
LOADERS: dict[str, Loader] = {
    "csl": load_csl_csv,
    "csl-json": load_csl_json,
    "sdn": load_ofac_sdn_csv,
    "un": load_un_xml,
}


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
