"""Screening-list loaders: the four published formats read into the same list entries.

The samples under screener/data/lists are fictitious entities in the real file layouts; the
malformed variants are written to a temporary folder from those samples.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from screener.reference import names
from screener.reference.screening_lists import (
    LOADERS,
    SDN_SOURCE,
    UN_SOURCE,
    ListEntry,
    ListFormatError,
    ScreeningIndex,
    country_code,
    load_csl_csv,
    load_csl_json,
    load_ofac_sdn_csv,
    load_un_xml,
)

LISTS = Path(__file__).resolve().parents[2] / "screener" / "data" / "lists"
CSL_CSV = LISTS / "csl-sample.csv"
CSL_JSON = LISTS / "csl-sample.json"
SDN_DIR = LISTS / "sdn-sample"
SDN_CSV = SDN_DIR / "sdn.csv"
UN_XML = LISTS / "un-sample.xml"
# SDN entries of csl-sample.csv: the CSV's _id for each OFAC entity number
CSL_CSV_IDS = {
    "91001": "a3f1c0de00000000000000000000000000000005",
    "91002": "a3f1c0de00000000000000000000000000000006",
    "91003": "a3f1c0de00000000000000000000000000000007",
}


def by_id(entries: list[ListEntry]) -> dict[str, ListEntry]:
    return {entry.entry_id: entry for entry in entries}


def sdn_copy(tmp_path: Path, *files: str) -> Path:
    """A copy of the SDN sample trio (or only `files` of it); returns the sdn.csv path."""
    for name in files or ("sdn.csv", "alt.csv", "add.csv"):
        shutil.copy(SDN_DIR / name, tmp_path / name)
    return tmp_path / "sdn.csv"


def csv_lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\r\n")


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"\r\n".join(lines))


# --- the registry and the record ------------------------------------------------------------


def test_each_policy_format_has_its_loader():
    assert dict(LOADERS) == {
        "csl": load_csl_csv,
        "csl-json": load_csl_json,
        "sdn": load_ofac_sdn_csv,
        "un": load_un_xml,
    }


@pytest.mark.parametrize(
    ("fmt", "path"), [("csl", CSL_CSV), ("csl-json", CSL_JSON), ("sdn", SDN_CSV), ("un", UN_XML)]
)
def test_every_loader_tags_its_entries_with_the_policy_list_id(fmt, path):
    entries = LOADERS[fmt](path, "my-list")
    assert entries
    assert {e.list_id for e in entries} == {"my-list"}
    assert all(e.name and e.source and e.entry_id for e in entries)


def test_list_entry_still_builds_from_its_original_fields():
    entry = ListEntry("1", "Golden Lotus", "Entity List", "Entity", ("EAR",), (), (), frozenset())
    assert entry.list_id == ""
    assert entry.identifiers == ()


# --- US Consolidated Screening List, CSV ------------------------------------------------------


def test_csl_csv_sample_keeps_its_twelve_entries():
    entries = load_csl_csv(CSL_CSV)
    assert len(entries) == 12
    assert len({e.entry_id for e in entries}) == 12


def test_csl_csv_identifiers_come_from_the_ids_column():
    arktika = by_id(load_csl_csv(CSL_CSV))[CSL_CSV_IDS["91001"]]
    assert arktika.identifiers == ("Tax ID No. 7700000001",)
    assert arktika.countries == {"RU"}


def test_csl_csv_ids_written_as_type_number_country_cells(tmp_path):
    rows = CSL_CSV.read_text(encoding="utf-8").splitlines()
    cells = rows[1].split(",")
    ids = (
        '"Tax ID No., 7700000009, RU; Registration ID, 1027700000009, RU, 2019-01-01; '
        'Website, www.x.example"'
    )
    (tmp_path / "csl.csv").write_text(f"{rows[0]}\n{','.join(cells[:-1])},{ids}\n")
    [entry] = load_csl_csv(tmp_path / "csl.csv")
    assert entry.identifiers == ("Tax ID No. 7700000009", "Registration ID 1027700000009")


def test_csl_csv_addresses_read_without_empty_parts():
    starlight = by_id(load_csl_csv(CSL_CSV))["a3f1c0de00000000000000000000000000000004"]
    assert starlight.addresses == (
        "Unit 9, 12/F, Kwai Cheong Centre, Kwai Chung, New Territories, HK",
        "Office 14, Jebel Ali Free Zone, Dubai, AE",
    )
    assert starlight.countries == {"HK", "AE"}


# --- US Consolidated Screening List, JSON -----------------------------------------------------


def test_csl_json_sample_counts():
    entries = load_csl_json(CSL_JSON)
    assert len(entries) == 14
    assert sum(e.entity_type == "Individual" for e in entries) == 2
    assert len({e.source for e in entries}) == 9


def test_csl_json_transliterated_russian_company_with_its_addresses_and_ids():
    kvant = by_id(load_csl_json(CSL_JSON))["b7e2c0de00000000000000000000000000000005"]
    assert kvant.name == (
        "Obshchestvo s Ogranichennoy Otvetstvennostyu Nauchno-Proizvodstvennoye "
        "Predpriyatiye Kvant-Elektronika"
    )
    assert kvant.source == "Entity List (EL) - Bureau of Industry and Security"
    assert kvant.entity_type == "Entity"
    assert kvant.programs == ("EAR",)
    assert kvant.aliases == (
        "OOO NPP Kvant-Elektronika",
        "Kvant Electronics LLC",
        "LLC Research and Production Enterprise Quantum Electronics",
    )
    assert kvant.addresses == (
        "Kondratyevsky Prospekt 15, Liter A, Saint Petersburg, 195197, RU",
        "Tigran Mets Ave 48, Yerevan, 0018, AM",
        "Tsereteli Ave 116, Tbilisi, 0119, GE",
    )
    assert kvant.countries == {"RU", "AM", "GE"}
    assert kvant.identifiers == ("Tax ID No. 7800000005", "Registration ID 1027800000005")


def test_csl_json_keeps_only_the_ids_that_identify():
    entries = by_id(load_csl_json(CSL_JSON))
    # "Gender" and "Secondary sanctions risk:" items and websites are not identifiers
    assert entries["91013"].identifiers == (
        "Passport E00000013",
        "Identification Number 440300198010100013",
    )
    assert entries["91001"].identifiers == ("Tax ID No. 7700000001",)
    assert entries["91017"].identifiers == (
        "Registration ID 1026600000017",
        "Tax ID No. 6600000017",
    )


def test_csl_json_nationalities_count_as_countries():
    zhang = by_id(load_csl_json(CSL_JSON))["91013"]
    assert zhang.countries == {"HK", "CN"}
    demir = by_id(load_csl_json(CSL_JSON))["b7e2c0de00000000000000000000000000000013"]
    assert demir.countries == {"TR"}


def test_csl_json_drops_an_alias_that_repeats_the_name():
    dongguan = by_id(load_csl_json(CSL_JSON))["b7e2c0de00000000000000000000000000000004"]
    assert dongguan.aliases == (
        "Dongguan Huasheng Magnetic Technology Co., Ltd.",
        "Huasheng Magnets",
    )
    assert dongguan.countries == {"CN", "TH", "VN"}


def test_csl_json_tolerates_extra_fields_nulls_and_a_bare_array(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text(
        json.dumps(
            [
                {
                    "name": "Kuala Strategic Supplies Sdn. Bhd.",
                    "type": None,
                    "alt_names": None,
                    "addresses": [
                        {"address": "Jalan 5", "city": "Port Klang", "country": "MY"},
                        {"city": "Shah Alam", "country": {"code": "MY"}},
                    ],
                    "a_field_added_next_year": {"anything": [1, 2]},
                }
            ],
            indent=2,
        )
    )
    [entry] = load_csl_json(path)
    assert entry.entity_type == ""
    assert entry.aliases == ()
    assert entry.addresses == ("Jalan 5, Port Klang, MY", "Shah Alam")
    assert entry.countries == {"MY"}
    assert entry.entry_id == "csl.json:2"  # no id in the file: the line stands in


# --- OFAC SDN, CSV trio -----------------------------------------------------------------------


def test_sdn_sample_counts():
    entries = load_ofac_sdn_csv(SDN_CSV)
    assert len(entries) == 16
    kinds = [e.entity_type for e in entries]
    assert (kinds.count("Entity"), kinds.count("Individual"), kinds.count("Vessel")) == (11, 4, 1)
    assert {e.source for e in entries} == {SDN_SOURCE}


def test_sdn_russian_trading_house_with_programs_aliases_addresses_and_ids():
    trading_house = by_id(load_ofac_sdn_csv(SDN_CSV))["91004"]
    assert trading_house.name == (
        "OBSHCHESTVO S OGRANICHENNOY OTVETSTVENNOSTYU TORGOVY DOM REDKIYE METALLY"
    )
    assert trading_house.entity_type == "Entity"
    assert trading_house.programs == ("RUSSIA-EO14024", "UKRAINE-EO13662")
    assert trading_house.aliases == (  # alt.csv lists the first alias twice
        "OOO TD REDKIYE METALLY",
        "RARE METALS TRADING HOUSE LLC",
        "LIMITED LIABILITY COMPANY TRADING HOUSE RARE METALS",
        "TORGOVY DOM REDKOZEMELNYE MATERIALY",
    )
    assert trading_house.addresses == (
        "Leninsky Prospekt 45, office 12, Moscow 119334, Russia",
        "Al-Farabi Ave 77/7, Almaty 050040, Kazakhstan",
        "Buyukdere Cad. 185, Istanbul 34394, Turkey",
    )
    assert trading_house.countries == {"RU", "KZ", "TR"}
    # the remarks' "Organization Established Date" and "Fictitious ..." parts are not ids
    assert trading_house.identifiers == (
        "Tax ID No. 7700000004",
        "Registration Number 1027700000004",
    )


def test_sdn_chinese_company_in_pinyin_with_its_english_and_cantonese_names():
    zhongshan = by_id(load_ofac_sdn_csv(SDN_CSV))["91005"]
    assert zhongshan.name == "ZHONGSHAN XINGHAI CIXING CAILIAO YOUXIAN GONGSI"
    assert "ZHONGSHAN XINGHAI MAGNETIC MATERIALS CO., LTD." in zhongshan.aliases
    assert "CHUNG SHAN HSING HAI MAGNETIC MATERIALS COMPANY LIMITED" in zhongshan.aliases
    assert zhongshan.countries == {"CN", "HK"}
    assert zhongshan.identifiers == ("Unified Social Credit Code (USCC) 91442000MA00000005",)


def test_sdn_individual_countries_include_nationality_and_citizenship_from_remarks():
    entries = by_id(load_ofac_sdn_csv(SDN_CSV))
    kuanyshev = entries["91016"]
    assert kuanyshev.entity_type == "Individual"
    assert kuanyshev.countries == {"KZ", "KG"}
    assert kuanyshev.identifiers == ("Passport N00000016",)
    zhang = entries["91013"]
    assert zhang.aliases == ("CHANG, Wei", "CHEUNG, Wai", "ZHANG, David")
    assert zhang.identifiers == ("Passport E00000013", "Identification Number 440300198010100013")


def test_sdn_vessel_identified_by_imo_and_mmsi():
    vessel = by_id(load_ofac_sdn_csv(SDN_CSV))["91015"]
    assert vessel.entity_type == "Vessel"
    assert vessel.aliases == ("SEVERNAYA ZVEZDA",)
    assert vessel.identifiers == (
        "Vessel Registration Identification IMO 9000015",
        "MMSI 273000015",
    )


def test_sdn_files_are_cp1252_with_a_control_z_trailer_as_ofac_writes_them():
    assert SDN_CSV.read_bytes().endswith(b"\r\n\x1a")
    assert b"Constituci\xf3n" in (SDN_DIR / "add.csv").read_bytes()
    mexico = by_id(load_ofac_sdn_csv(SDN_CSV))["91009"]
    assert mexico.addresses == (
        "Av. Constitución 2000, Col. Centro, Monterrey, Nuevo León 64000, Mexico",
        "Blvd. Miguel de la Madrid 1500, Manzanillo, Colima 28219, Mexico",
    )
    assert mexico.identifiers == ("R.F.C. CTR190000AB9",)


@pytest.mark.parametrize(
    "name_bytes",
    [
        "CAFÉ DEL NORTE".encode(),  # UTF-8
        "CAFÉ DEL NORTE".encode("cp1252"),  # Windows-1252, as OFAC publishes
    ],
)
def test_sdn_names_read_the_same_in_utf8_and_cp1252(tmp_path, name_bytes):
    path = tmp_path / "sdn.csv"
    path.write_bytes(b'1,"' + name_bytes + b'",-0- ,"SDGT",' + b"-0- ," * 7 + b"-0- \r\n\x1a")
    [entry] = load_ofac_sdn_csv(path)
    assert entry.name == "CAFÉ DEL NORTE"


def test_sdn_bytes_undefined_in_cp1252_do_not_stop_the_load(tmp_path):
    path = tmp_path / "sdn.csv"
    path.write_bytes(b'1,"ODD \x81 NAME",-0- ,"SDGT",' + b"-0- ," * 7 + b"-0- ")
    [entry] = load_ofac_sdn_csv(path)
    assert entry.name == "ODD \x81 NAME"


def test_sdn_without_alt_and_add_files_still_loads(tmp_path):
    entries = by_id(load_ofac_sdn_csv(sdn_copy(tmp_path, "sdn.csv")))
    assert len(entries) == 16
    assert entries["91004"].aliases == ()
    assert entries["91004"].addresses == ()
    assert entries["91004"].countries == frozenset()
    assert entries["91016"].countries == {"KZ", "KG"}  # from the remarks alone


def test_sdn_companion_files_found_in_upper_case(tmp_path):
    shutil.copy(SDN_DIR / "sdn.csv", tmp_path / "SDN.CSV")
    shutil.copy(SDN_DIR / "alt.csv", tmp_path / "ALT.CSV")
    entries = by_id(load_ofac_sdn_csv(tmp_path / "SDN.CSV"))
    assert entries["91001"].aliases == ("ARCTIC TECHNOLOGIES LLC", "ARKTIKA TECH")


# --- UN Security Council consolidated list, XML -----------------------------------------------


def test_un_sample_counts():
    entries = load_un_xml(UN_XML)
    assert len(entries) == 12
    kinds = [e.entity_type for e in entries]
    assert (kinds.count("Individual"), kinds.count("Entity")) == (6, 6)
    assert {e.source for e in entries} == {UN_SOURCE}


def test_un_entity_with_aliases_and_addresses_in_hubs():
    koryo = by_id(load_un_xml(UN_XML))["KPe.901"]
    assert koryo.name == "KORYO RYONGBONG TRADING CORPORATION"
    assert koryo.programs == ("DPRK",)
    assert koryo.aliases == (
        "Koryo Ryongbong Muyok Hoesa",
        "Ryongbong General Trading",
        "Korea Ryonbong Trading",
    )
    assert koryo.addresses == (
        "Sosong District, Pyongyang, Democratic People's Republic of Korea",
        "Room 2101, Wing On Plaza, 62 Mody Road, Tsim Sha Tsui, Kowloon, "
        "China, Hong Kong Special Administrative Region",
    )
    assert koryo.countries == {"KP", "HK"}


def test_un_individual_name_parts_original_script_nationality_and_passport():
    ri = by_id(load_un_xml(UN_XML))["KPi.901"]
    assert ri.name == "RI CHOL MIN"
    assert ri.entity_type == "Individual"
    assert ri.aliases == ("Ri Chol-min", "Li Zhemin", "리철민")  # the "Low" alias left out
    assert ri.countries == {"KP", "CN", "RU"}
    assert ri.identifiers == ("Passport 836000901",)


def test_un_low_quality_aliases_on_request():
    ri = by_id(load_un_xml(UN_XML, low_quality_aliases=True))["KPi.901"]
    assert "Mr. Li" in ri.aliases


def test_un_four_part_names_and_repeated_aliases():
    entries = by_id(load_un_xml(UN_XML))
    assert entries["LYi.901"].name == "ABDEL SALAM MUHAMMAD AL-MISRATI"
    assert entries["LYi.901"].identifiers == ("National Identification Number 119000000901",)
    # an alias equal to the name, and an alias listed twice, are kept once or not at all
    assert "VLADIMIR PETROVICH SOKOLOV" not in entries["KPi.903"].aliases
    assert entries["QDe.901"].aliases == (
        "Al Noor Al Satea Trading",
        "Sharikat al-Nur al-Sati lil-Tijara al-Amma",
    )
    assert entries["QDi.902"].countries == {"TR"}  # written "Türkiye"


# --- the same entity across lists -------------------------------------------------------------


def _comparable(entry: ListEntry) -> tuple:
    return (
        entry.name.casefold(),
        entry.entity_type,
        entry.programs,
        frozenset(a.casefold() for a in entry.aliases),
        entry.countries,
        entry.identifiers,
    )


def test_sdn_entries_of_the_csl_csv_agree_with_the_sdn_files():
    sdn = by_id(load_ofac_sdn_csv(SDN_CSV))
    csl = by_id(load_csl_csv(CSL_CSV))
    for ent_num, csl_id in CSL_CSV_IDS.items():
        assert csl[csl_id].source == SDN_SOURCE
        assert _comparable(csl[csl_id]) == _comparable(sdn[ent_num])


def test_sdn_entries_of_the_csl_json_agree_with_the_sdn_files():
    sdn = by_id(load_ofac_sdn_csv(SDN_CSV))
    from_csl = [e for e in load_csl_json(CSL_JSON) if e.source == SDN_SOURCE]
    assert [e.entry_id for e in from_csl] == ["91001", "91013"]  # the OFAC entity number
    for entry in from_csl:
        assert _comparable(entry) == _comparable(sdn[entry.entry_id])


def test_one_person_on_the_sdn_and_un_lists_shares_passport_and_country():
    sdn = by_id(load_ofac_sdn_csv(SDN_CSV))["91014"]
    un = by_id(load_un_xml(UN_XML))["QDi.901"]
    assert sdn.identifiers == un.identifiers == ("Passport A0000014",)
    assert sdn.countries == un.countries == {"AE"}
    assert names.sorted_key(sdn.name) == names.sorted_key(un.name)


def test_an_index_over_all_samples_finds_a_party_on_two_lists():
    entries = [
        *load_csl_csv(CSL_CSV, "us-csl"),
        *load_csl_json(CSL_JSON, "us-csl-json"),
        *load_ofac_sdn_csv(SDN_CSV, "ofac-sdn"),
        *load_un_xml(UN_XML, "un"),
    ]
    index = ScreeningIndex.build(entries)
    matches = index.lookup("Khalid Abdullah Al Rashidi", country="AE")
    assert {m.entry.list_id for m in matches} == {"ofac-sdn", "un"}
    assert all(m.country_agrees for m in matches)
    [zhongshan] = index.lookup("Zhongshan Xinghai Magnetic Materials Co Ltd")
    assert zhongshan.entry.entry_id == "91005"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Russia", "RU"),
        ("Hong Kong", "HK"),
        ("Turkey", "TR"),
        ("Türkiye", "TR"),
        ("Burma", "MM"),
        ("Korea, North", "KP"),
        ("Korea, South", "KR"),
        ("Republic of Korea", "KR"),
        ("Congo, Democratic Republic of the", "CD"),
        ("Iran (Islamic Republic of)", "IR"),
        ("China, Hong Kong Special Administrative Region", "HK"),
        ("Macau", "MO"),
        ("Bahamas, The", "BS"),
        ("Region: Crimea", "UA"),
        ("Kosovo", "XK"),  # not "RS", where a fuzzy search lands
        ("The former Yugoslav Republic of Macedonia", "MK"),
        ("United Arab Emirates", "AE"),
        ("AE", "AE"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_country_names_as_lists_write_them(written, code):
    assert country_code(written) == code


# --- files that cannot be read ----------------------------------------------------------------


def test_sdn_row_with_missing_columns_names_file_and_line(tmp_path):
    path = sdn_copy(tmp_path)
    lines = csv_lines(path)
    lines[1] = b",".join(lines[1].split(b",")[:9])  # 91002, no comma inside its cells
    write_lines(path, lines)
    with pytest.raises(ListFormatError, match=r"sdn\.csv:2: expected 12 columns, got 9"):
        load_ofac_sdn_csv(path)


def test_sdn_file_cut_off_inside_a_quoted_cell_names_the_line(tmp_path):
    path = sdn_copy(tmp_path)
    lines = csv_lines(path)[:5]
    lines[4] = lines[4][:40]  # the download stopped mid-name
    write_lines(path, lines)
    with pytest.raises(ListFormatError, match=r"sdn\.csv:5: malformed CSV"):
        load_ofac_sdn_csv(path)


def test_alt_file_errors_name_the_alt_file(tmp_path):
    path = sdn_copy(tmp_path)
    alt = tmp_path / "alt.csv"
    lines = csv_lines(alt)
    lines[6] = b'91004,3007,"aka","OOO TD REDKIYE METALLY"'
    write_lines(alt, lines)
    with pytest.raises(ListFormatError, match=r"alt\.csv:7: expected 5 columns, got 4"):
        load_ofac_sdn_csv(path)


def test_add_file_entity_number_must_be_a_number(tmp_path):
    path = sdn_copy(tmp_path)
    add = tmp_path / "add.csv"
    lines = csv_lines(add)
    lines[1] = lines[1].replace(b"91002,", b"9100X,", 1)
    write_lines(add, lines)
    with pytest.raises(ListFormatError, match=r"add\.csv:2: ent_num '9100X' is not a number"):
        load_ofac_sdn_csv(path)


def test_missing_sdn_file_is_an_error_naming_it(tmp_path):
    shutil.copy(SDN_DIR / "alt.csv", tmp_path / "alt.csv")
    with pytest.raises(ListFormatError, match=r"sdn\.csv: screening list file not found"):
        load_ofac_sdn_csv(tmp_path / "sdn.csv")


@pytest.mark.parametrize("fmt", ["csl", "csl-json", "un"])
def test_missing_list_file_is_an_error_naming_it(tmp_path, fmt):
    with pytest.raises(ListFormatError, match=r"nope\.list: screening list file not found"):
        LOADERS[fmt](tmp_path / "nope.list", "x")


def test_csl_csv_truncated_row_names_file_and_line(tmp_path):
    lines = CSL_CSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "csl.csv"
    path.write_text("\n".join([*lines[:3], lines[3][:60]]) + "\n")
    with pytest.raises(ListFormatError, match=r"csl\.csv:4: expected 29 columns, got \d+"):
        load_csl_csv(path)


def test_csl_csv_without_its_header_is_refused(tmp_path):
    path = tmp_path / "csl.csv"
    path.write_text("\n".join(CSL_CSV.read_text(encoding="utf-8").splitlines()[1:]))
    with pytest.raises(ListFormatError, match=r"csl\.csv:1: not a CSL CSV file"):
        load_csl_csv(path)


def test_csl_json_syntax_error_names_its_line(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text('{\n  "results": [\n    {"name": "A"}\n    {"name": "B"}\n  ]\n}\n')
    with pytest.raises(ListFormatError, match=r"csl\.json:4: not valid JSON"):
        load_csl_json(path)


def test_csl_json_entry_without_a_name_names_the_line_it_starts_on(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text(
        '{\n  "total": 2,\n  "results": [\n'
        '    {"name": "Penang Bright Circuits Sdn. Bhd."},\n'
        '    {"id": "no-name", "alt_names": ["Bright Circuits"]}\n'
        "  ]\n}\n"
    )
    with pytest.raises(ListFormatError, match=r"csl\.json:5: results\[1\]: entry has no name"):
        load_csl_json(path)


def test_csl_json_fields_of_the_wrong_shape_name_their_entry(tmp_path):
    path = tmp_path / "csl.json"
    path.write_text('{"results": [\n{"name": "A", "addresses": "Dubai, AE"}\n]}\n')
    with pytest.raises(ListFormatError, match=r"csl\.json:2: .*addresses should be a list"):
        load_csl_json(path)


@pytest.mark.parametrize("document", ['{"total": 0}', '{"results": {"name": "A"}}', '"results"'])
def test_json_that_is_not_a_csl_document_is_refused(tmp_path, document):
    path = tmp_path / "csl.json"
    path.write_text(document)
    with pytest.raises(ListFormatError, match=r"csl\.json:1: not a CSL JSON file"):
        load_csl_json(path)


def test_csl_json_that_is_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "csl.json"
    path.write_bytes(b'{"results": [\n{"name": "Caf\xe9"}\n]}')
    with pytest.raises(ListFormatError, match=r"csl\.json:2: not UTF-8"):
        load_csl_json(path)


def test_un_xml_not_well_formed_names_the_parser_line(tmp_path):
    lines = UN_XML.read_text(encoding="utf-8").splitlines()
    lines[11] = lines[11].replace("</UN_LIST_TYPE>", "")  # <UN_LIST_TYPE>DPRK, never closed
    path = tmp_path / "un.xml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ListFormatError, match=r"un\.xml:\d+: malformed XML: mismatched tag"):
        load_un_xml(path)


def test_un_xml_cut_off_names_the_last_line(tmp_path):
    path = tmp_path / "un.xml"
    path.write_text("\n".join(UN_XML.read_text(encoding="utf-8").splitlines()[:40]))
    with pytest.raises(ListFormatError, match=r"un\.xml:40: malformed XML"):
        load_un_xml(path)


def test_un_entity_without_a_name_names_its_line(tmp_path):
    path = tmp_path / "un.xml"
    path.write_text(
        "<CONSOLIDATED_LIST>\n  <INDIVIDUALS/>\n  <ENTITIES>\n"
        "    <ENTITY>\n      <DATAID>1</DATAID>\n      <UN_LIST_TYPE>DPRK</UN_LIST_TYPE>\n"
        "    </ENTITY>\n  </ENTITIES>\n</CONSOLIDATED_LIST>\n"
    )
    with pytest.raises(ListFormatError, match=r"un\.xml:4: ENTITY has no name"):
        load_un_xml(path)


def test_xml_that_is_not_the_un_list_is_refused(tmp_path):
    path = tmp_path / "un.xml"
    path.write_text('<?xml version="1.0"?>\n<sdnList><sdnEntry/></sdnList>\n')
    with pytest.raises(ListFormatError, match=r"un\.xml:2: not a UN consolidated list"):
        load_un_xml(path)


def test_un_xml_entity_declarations_are_refused(tmp_path):
    path = tmp_path / "un.xml"
    path.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n  <!ENTITY lol "lol">\n]>\n'
        "<CONSOLIDATED_LIST><ENTITIES><ENTITY><FIRST_NAME>&lol;</FIRST_NAME></ENTITY>"
        "</ENTITIES></CONSOLIDATED_LIST>\n"
    )
    with pytest.raises(ListFormatError, match=r"un\.xml:3: entity declarations refused"):
        load_un_xml(path)
