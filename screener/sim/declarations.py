"""Deterministic sample shipment-declaration traffic for the demo and the integration tests.

`generate(n)` returns Kafka-ready messages in stream order, each labelled with what it is:

* ``ordinary``: everyday trade between many country pairs, plus some licensed trade in
  controlled goods sent directly to non-hub buyers. None of it should trip the policy.
* ``planted:<scheme>``: diversion patterns from the seed article and the BIS/FinCEN alerts,
  each built to carry several of the policy's indicators and score at or above 55.
* ``malformed:<kind>``: what broken producers really send; every one fails the contract and
  belongs on the dead-letter topic.

The labels let tests compare what the screener decided with what was planted. All companies,
addresses, licence and document numbers are fictitious; the listed parties are the entries of
screener/data/lists/csl-sample.csv.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pycountry


@dataclass(frozen=True)
class SampleMessage:
    key: bytes | None  # declaration_id utf-8; for malformed messages whatever the producer sent
    value: bytes  # the raw Kafka value
    label: str  # "ordinary", "planted:<scheme>" or "malformed:<kind>"
    declaration_id: str | None


@dataclass(frozen=True)
class Company:
    name: str
    country: str
    address: str
    trade: str  # line of business: decides which goods it ships or buys


@dataclass(frozen=True)
class Goods:
    hs_code: str
    description: str
    unit: str
    kg_per_unit: float | None  # None: the quantity is the net mass in kg
    usd_per_kg: tuple[float, float]  # kept well inside policy.yaml's plausible range
    sea_kg: tuple[float, float]  # net mass of one line in a container or truck load
    origins: tuple[str, ...]
    trade: str


@dataclass(frozen=True)
class LicensedTrade:
    """Controlled goods that move legitimately: licensed, direct, to a buyer in its line."""

    goods: Goods
    seller: str
    buyer: str
    destinations: tuple[str, ...]


# --- time and ids -------------------------------------------------------------------------

DEFAULT_START = datetime(2026, 11, 28, tzinfo=UTC)
GAP_SECONDS = (60, 360)  # between consecutive declarations: a few minutes, jittered
LICENSED_SHARE = 0.08  # of ordinary traffic: licensed controlled trade
TYPE_CODES = {"export": "EXP", "import": "IMP", "re-export": "REX", "transit": "TRN"}

# --- places -------------------------------------------------------------------------------

SEA_PORTS = {
    "CN": ("CNSHA", "CNNGB", "CNSZX", "CNTAO"),
    "VN": ("VNSGN", "VNHPH"),
    "DE": ("DEHAM", "DEBRV"),
    "US": ("USLAX", "USLGB", "USNYC", "USSAV"),
    "JP": ("JPTYO", "JPYOK", "JPOSA"),
    "KR": ("KRPUS", "KRINC"),
    "TH": ("THLCH", "THBKK"),
    "MX": ("MXZLO", "MXLZC", "MXVER"),
    "MY": ("MYPKG", "MYTPP"),
    "IN": ("INNSA", "INMAA"),
    "FR": ("FRLEH", "FRFOS"),
    "IT": ("ITGOA", "ITSPE"),
    "GB": ("GBFXT", "GBSOU"),
    "NL": ("NLRTM",),
    "BR": ("BRSSZ",),
    "TW": ("TWKHH", "TWTXG"),
    "SG": ("SGSIN",),
}
AIRPORTS = {
    "CN": ("CNPVG", "CNSZX", "CNCAN"),
    "VN": ("VNSGN", "VNHAN"),
    "DE": ("DEFRA", "DEMUC"),
    "US": ("USLAX", "USCHI", "USSFO"),
    "JP": ("JPNRT", "JPOSA"),
    "KR": ("KRINC",),
    "TH": ("THBKK",),
    "MX": ("MXMEX", "MXGDL"),
    "MY": ("MYKUL", "MYPEN"),
    "IN": ("INBOM", "INDEL"),
    "FR": ("FRCDG",),
    "IT": ("ITMIL",),
    "GB": ("GBLHR",),
    "NL": ("NLAMS",),
    "BR": ("BRGRU",),
    "TW": ("TWTPE",),
    "SG": ("SGSIN",),
    "HK": ("HKHKG",),
    "AE": ("AEDXB",),
}
# Road border crossings: customs offices that clear trucks (no port of loading or discharge).
INLAND_OFFICES = {
    "US": "USLRD", "MX": "MXNLD", "CN": "CNNNG", "VN": "VNHAN", "TH": "THHDY", "MY": "MYPEN",
    "GB": "GBDVR", "FR": "FRCQF", "NL": "NLVEN", "DE": "DEDUS",
}  # fmt: skip
ROAD_LANES = frozenset({
    ("US", "MX"), ("MX", "US"), ("CN", "VN"), ("VN", "CN"), ("TH", "MY"), ("MY", "TH"),
    ("GB", "FR"), ("FR", "GB"), ("GB", "NL"), ("NL", "GB"), ("GB", "DE"), ("DE", "GB"),
})  # fmt: skip
EU = ("DE", "FR", "IT", "NL")  # no customs declarations between these
# Rough import weight of each country in ordinary traffic.
TRADE_WEIGHTS = {
    "US": 6, "DE": 4, "CN": 3, "JP": 3, "GB": 3, "FR": 3, "NL": 3, "IT": 2, "KR": 2, "MX": 2,
    "IN": 2, "BR": 2, "TH": 2, "VN": 2, "MY": 2,
}  # fmt: skip
# Asian exports to Europe and South America are often transhipped here (not controlled: free).
TRANSHIPMENT = {
    "from": ("CN", "VN", "TH", "IN"),
    "to": ("DE", "FR", "IT", "NL", "GB", "BR"),
    "via": ("SG", "MY"),
}
# Overland route of the Middle Corridor from Turkey to each Eurasian destination.
EURASIA_CORRIDOR = {"KZ": ("TR", "GE", "AZ"), "KG": ("TR", "GE", "AZ", "KZ"), "AM": ("TR", "GE")}

# --- money and documents ------------------------------------------------------------------

FX_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CNY": 0.14}  # as policy.yaml
ZERO_DECIMAL_CURRENCIES = ("JPY",)
PAYMENT_METHODS = {
    "wire_transfer": 50,
    "open_account": 25,
    "letter_of_credit": 15,
    "documentary_collection": 10,
}
SHIPPING_LINES = ("MAEU", "COSU", "MEDU", "CMDU", "ONEY", "HLCU", "EGLV")  # bill-of-lading prefixes
AIRLINE_PREFIXES = ("176", "160", "618", "297", "020", "180", "784", "695")  # air-waybill prefixes
LICENCE_FORMATS = {
    "CN": "CN-DUL-{year}-{n:06d}",  # MOFCOM dual-use export licence
    "US": "D{n:07d}",  # BIS licence number
    "TW": "TW-SHTC-{year}-{n:05d}",
    "KR": "KR-STL-{year}-{n:05d}",
}

# --- goods --------------------------------------------------------------------------------

GOODS = (
    Goods("6109100010", "men's T-shirts, knitted, 100 % cotton", "pcs", 0.2, (9, 30),
          (1500, 9000), ("CN", "VN", "IN"), "apparel"),
    Goods("6110203000", "pullovers and cardigans, knitted, cotton", "pcs", 0.45, (10, 28),
          (1000, 7000), ("CN", "VN", "IN", "IT"), "apparel"),
    Goods("6403990000", "men's leather shoes, rubber soles", "pairs", 1.1, (14, 45),
          (1500, 6000), ("CN", "VN", "IN", "IT", "BR"), "apparel"),
    Goods("9403600000", "solid wood dining tables", "pcs", 32.0, (3.5, 9),
          (3000, 12000), ("CN", "VN", "MY", "IT"), "furniture"),
    Goods("9401610000", "upholstered chairs, wooden frame", "pcs", 9.5, (5, 14),
          (2000, 8000), ("CN", "VN", "MY", "IT"), "furniture"),
    Goods("9403200000", "steel office shelving units, knocked down", "pcs", 24.0, (1.5, 4),
          (6000, 18000), ("CN", "VN", "MY"), "furniture"),
    Goods("8708301000", "brake discs for passenger cars", "pcs", 7.8, (2.5, 7),
          (5000, 18000), ("DE", "JP", "MX", "US", "KR", "CN"), "auto"),
    Goods("8708404000", "gearbox assemblies for passenger cars", "pcs", 42.0, (12, 35),
          (3000, 15000), ("DE", "JP", "MX", "US", "KR"), "auto"),
    Goods("8708299000", "pressed-steel body parts for passenger cars", "pcs", 6.0, (3, 9),
          (4000, 16000), ("DE", "JP", "MX", "US", "KR", "CN", "IN"), "auto"),
    Goods("4011100000", "new radial tyres for passenger cars", "pcs", 9.0, (3, 6),
          (6000, 16000), ("TH", "JP", "KR", "CN"), "auto"),
    Goods("8517130000", "smartphones, 5G, 128 GB", "pcs", 0.42, (350, 900),
          (800, 6000), ("CN", "VN", "IN", "KR"), "electronics"),
    Goods("8517620000", "Wi-Fi routers and access points", "pcs", 0.7, (35, 110),
          (1500, 8000), ("CN", "VN", "MY", "TW"), "electronics"),
    Goods("8504403000", "switch-mode power supplies, 65 W", "pcs", 0.32, (18, 55),
          (1500, 9000), ("CN", "VN", "MY", "TW"), "electronics"),
    Goods("8471300000", "notebook computers, 14 inch", "pcs", 2.3, (250, 520),
          (1000, 8000), ("CN", "VN"), "electronics"),
    Goods("8528720000", "LED television receivers, 55 inch", "pcs", 19.0, (15, 30),
          (4000, 12000), ("CN", "MX", "KR", "MY"), "electronics"),
    Goods("8504210000", "liquid dielectric distribution transformers, 630 kVA", "pcs", 1900.0,
          (6, 14), (3800, 19000), ("DE", "IT", "KR", "CN", "IN"), "machinery"),
    Goods("8415101000", "split-system air conditioners, 12000 BTU", "sets", 38.0, (6, 12),
          (5000, 14000), ("CN", "TH", "KR"), "machinery"),
    Goods("8450111000", "fully automatic washing machines, 8 kg", "pcs", 68.0, (3.5, 7),
          (6000, 14000), ("CN", "KR", "TH", "DE"), "machinery"),
    Goods("8481809000", "industrial ball valves, stainless steel", "pcs", 6.5, (12, 40),
          (1000, 8000), ("DE", "IT", "CN", "US"), "machinery"),
    Goods("6907210000", "glazed porcelain floor tiles, 60 x 60 cm", "m2", 21.0, (0.4, 1.3),
          (18000, 25000), ("CN", "IT", "IN", "BR"), "building"),
    Goods("7308900000", "prefabricated steel structures for warehouses", "kg", None, (1.2, 2.8),
          (12000, 24000), ("CN", "IN"), "building"),
    Goods("0901110000", "green coffee beans, arabica, not roasted", "kg", None, (3.5, 7.5),
          (18000, 21600), ("BR", "VN"), "food"),
    Goods("1006309000", "milled long-grain rice in 25 kg bags", "kg", None, (0.7, 1.3),
          (20000, 25000), ("TH", "VN", "IN"), "food"),
    Goods("2204210000", "red wine in 0.75 l bottles", "bottles", 1.3, (5, 20),
          (8000, 12000), ("FR", "IT"), "food"),
    Goods("3004900000", "medicaments in measured doses, tablets", "packs", 0.06, (40, 250),
          (300, 3000), ("DE", "IN", "FR", "GB", "US"), "pharma"),
    Goods("9503007000", "plastic toys, assorted", "pcs", 0.35, (5, 14),
          (2000, 9000), ("CN", "VN"), "general"),
    Goods("3924100000", "plastic tableware and kitchenware", "kg", None, (2.5, 6),
          (3000, 12000), ("CN", "VN", "TH"), "general"),
)  # fmt: skip

# Controlled goods (policy.yaml commodity groups) and the cheap goods they hide behind.
NDFEB = Goods(
    "8505111000",
    "sintered NdFeB permanent magnets, grade N52",
    "kg",
    None,
    (45, 110),
    (200, 3000),
    ("CN",),
    "magnets",
)
SMCO = Goods(
    "8505111000",
    "samarium-cobalt permanent magnets, Sm2Co17",
    "kg",
    None,
    (120, 260),
    (100, 1200),
    ("CN",),
    "magnets",
)
SM_OXIDE = Goods(
    "2846901940",
    "samarium oxide, Sm2O3 >= 99.9 %",
    "kg",
    None,
    (3, 9),
    (1000, 8000),
    ("CN",),
    "minerals",
)
GALLIUM = Goods(
    "8112920000",
    "gallium, unwrought, 99.99 %",
    "kg",
    None,
    (250, 600),
    (100, 800),
    ("CN",),
    "minerals",
)
GPU = Goods(
    "8542310000",
    "GPU accelerator modules, 80 GB HBM3, ECCN 3A090",
    "pcs",
    1.6,
    (11000, 20000),
    (15, 150),
    ("TW", "KR", "US"),
    "chips",
)
SERVER = Goods(
    "8471500000",
    "rack servers, 8 GPU accelerators, ECCN 4A090",
    "pcs",
    95.0,
    (1600, 3200),
    (400, 3800),
    ("TW", "US"),
    "chips",
)
SWITCH = Goods(
    "8517620000",
    "400G data-centre network switches",
    "pcs",
    12.0,
    (300, 900),
    (100, 600),
    ("TW", "US"),
    "chips",
)
ZINC = Goods(
    "7901110000",
    "zinc ingots, unwrought, not alloyed, >= 99.99 % Zn",
    "kg",
    None,
    (2.4, 3.4),
    (8000, 22000),
    ("CN",),
    "metals",
)

LICENSED_TRADE = (
    LicensedTrade(NDFEB, "magnets", "motors", ("JP", "DE", "US", "KR", "FR")),
    LicensedTrade(SMCO, "magnets", "motors", ("JP", "DE", "US", "FR")),
    LicensedTrade(SM_OXIDE, "minerals", "motors", ("JP", "KR", "DE")),
    LicensedTrade(GALLIUM, "minerals", "semis", ("JP", "KR", "DE")),
    LicensedTrade(GPU, "chips", "compute", ("JP", "DE", "US", "FR", "KR")),
    LicensedTrade(SERVER, "chips", "compute", ("JP", "DE", "US", "FR", "KR")),
)

# --- companies ----------------------------------------------------------------------------
# Deliberately unlike any screening-list name. "front" companies are the unlisted shells and
# intermediaries the planted schemes use; ordinary traffic never picks them.

COMPANIES = (
    # China
    Company("Ningbo Haishu Knitwear Co., Ltd.", "CN",
            "No. 318 Huancheng West Rd, Haishu District, Ningbo, Zhejiang 315012", "apparel"),
    Company("Foshan Shunde Linhai Furniture Co., Ltd.", "CN",
            "Longjiang Town, Shunde District, Foshan, Guangdong 528318", "furniture"),
    Company("Dongguan Yida Electronics Co., Ltd.", "CN",
            "18 Keji Rd, Songshan Lake, Dongguan, Guangdong 523808", "electronics"),
    Company("Qingdao Beihai Tyre Co., Ltd.", "CN",
            "66 Jiaozhou Bay Rd, Huangdao District, Qingdao, Shandong 266555", "auto"),
    Company("Zibo Hongtai Ceramics Co., Ltd.", "CN",
            "Zibo Ceramic Industrial Park, Zhangdian District, Zibo, Shandong 255000", "building"),
    Company("Wenzhou Ouhai Valve Manufacturing Co., Ltd.", "CN",
            "9 Xinqiao Rd, Ouhai District, Wenzhou, Zhejiang 325014", "machinery"),
    Company("Yiwu Meijia Household Products Co., Ltd.", "CN",
            "Futian Street, Yiwu, Zhejiang 322000", "general"),
    Company("Shanghai Xinda Magnetics Co., Ltd.", "CN",
            "88 Jinqiao Rd, Pudong, Shanghai 201206", "magnets"),
    Company("Ningbo Dongqian Magnetoelectric Co., Ltd.", "CN",
            "27 Qiming Rd, Yinzhou District, Ningbo, Zhejiang 315100", "magnets"),
    Company("Baotou Kunlun Permanent Magnet Works Co., Ltd.", "CN",
            "Rare Earth Hi-Tech Zone, Baotou, Inner Mongolia 014030", "magnets"),
    Company("Ganzhou Hengyuan Smelting Co., Ltd.", "CN",
            "Ganzhou Economic Development Zone, Ganzhou, Jiangxi 341000", "minerals"),
    Company("Zhuzhou Xiangjiang Gallium Refinery Co., Ltd.", "CN",
            "Tianyuan District, Zhuzhou, Hunan 412007", "minerals"),
    Company("Changsha Xiangyun Metals Import & Export Co., Ltd.", "CN",
            "Room 1502, Furong Plaza, Furong District, Changsha, Hunan 410011", "metals"),
    Company("Kunming Lincang Metals Import & Export Co., Ltd.", "CN",
            "Room 808, Dianchi Rd 569, Xishan District, Kunming, Yunnan 650228", "metals"),
    Company("Shenzhen Nanhai Freight Forwarding Co., Ltd.", "CN",
            "Shekou Harbour Building, Nanshan District, Shenzhen 518067", "forwarder"),
    # Viet Nam
    Company("Hung Yen Garment Export JSC", "VN",
            "Pho Noi A Industrial Park, Van Lam, Hung Yen", "apparel"),
    Company("Binh Duong Woodcraft Co., Ltd.", "VN",
            "VSIP II, Thu Dau Mot, Binh Duong", "furniture"),
    Company("Bac Ninh Mobile Assembly Co., Ltd.", "VN",
            "Yen Phong Industrial Park, Bac Ninh", "electronics"),
    Company("Dak Lak Coffee Export Corporation", "VN",
            "45 Nguyen Tat Thanh, Buon Ma Thuot, Dak Lak", "food"),
    Company("Haiphong Harbour Distribution Co., Ltd.", "VN",
            "Dinh Vu Industrial Zone, Hai An, Hai Phong", "general"),
    Company("Cat Lai Shipping Agency Co., Ltd.", "VN",
            "1295B Nguyen Thi Dinh, Thu Duc, Ho Chi Minh City", "forwarder"),
    # Germany
    Company("Rheinland Bremsen GmbH", "DE", "Industriestrasse 14, 50996 Koeln", "auto"),
    Company("Neckar Antriebstechnik GmbH", "DE", "Ulmer Strasse 120, 73037 Goeppingen", "auto"),
    Company("Kessler Armaturen GmbH", "DE", "Am Hafen 3, 47119 Duisburg", "machinery"),
    Company("Mainfeld Pharma GmbH", "DE", "Lorscher Strasse 8, 60489 Frankfurt am Main",
            "pharma"),
    Company("Hanse Haushaltswaren Vertrieb GmbH", "DE",
            "Grosse Elbstrasse 59, 22767 Hamburg", "general"),
    Company("Franken Elektromotoren GmbH", "DE", "Am Pfannenstiel 7, 91058 Erlangen", "motors"),
    Company("Taunus Rechenzentrum Betriebs GmbH", "DE",
            "Hanauer Landstrasse 300, 60314 Frankfurt am Main", "compute"),
    Company("Freiberg Kristalltechnik GmbH", "DE", "Halsbruecker Strasse 34, 09599 Freiberg",
            "semis"),
    Company("Oberrhein IT-Distribution GmbH", "DE",
            "Carl-Benz-Strasse 21, 68723 Schwetzingen", "it_distributor"),
    Company("Hanse Spedition GmbH", "DE", "Am Sandtorkai 44, 20457 Hamburg", "forwarder"),
    # United States
    Company("Lakeshore Auto Parts Inc.", "US", "4100 W 47th St, Chicago, IL 60632", "auto"),
    Company("Harbor Crest Home Furnishings LLC", "US", "2200 E Carson St, Carson, CA 90810",
            "furniture"),
    Company("Bluegrass Apparel Group Inc.", "US", "1500 Commerce Dr, Lexington, KY 40511",
            "apparel"),
    Company("Midwest Grid Equipment Corp.", "US", "700 Industrial Pkwy, Elkhart, IN 46516",
            "machinery"),
    Company("Tri-County Pharmacy Wholesale Inc.", "US", "85 Route 10, Whippany, NJ 07981",
            "pharma"),
    Company("Keystone Consumer Imports LLC", "US", "3900 Eastern Blvd, Baltimore, MD 21224",
            "general"),
    Company("Redwood Compute Systems Inc.", "US", "2550 Walsh Ave, Santa Clara, CA 95051",
            "chips"),
    Company("Cascade Motion Controls Inc.", "US", "18000 NE Union Hill Rd, Redmond, WA 98052",
            "motors"),
    Company("Northgate Data Centers LLC", "US", "1200 Innovation Pkwy, Ashburn, VA 20147",
            "compute"),
    Company("Harborline Customs Brokerage Inc.", "US", "300 Oceangate, Long Beach, CA 90802",
            "forwarder"),
    # Registered-agent addresses: a classic shell-company sign.
    Company("Brandywine Specialty Metals LLC", "US",
            "1000 N West St, Suite 1200, Wilmington, DE 19801", "front"),
    Company("Silver Creek Alloys Inc.", "US", "8 The Green, Suite 300, Dover, DE 19901",
            "front"),
    # Japan
    Company("Kansai Motor Components K.K.", "JP", "2-5-1 Nakanoshima, Kita-ku, Osaka 530-0005",
            "auto"),
    Company("Minato Rubber Industries Co., Ltd.", "JP", "1-8-3 Kaigan, Minato-ku, Tokyo 105-0022",
            "auto"),
    Company("Tokai Denki Seisakusho Co., Ltd.", "JP", "3-12 Atsuta, Nagoya, Aichi 456-0002",
            "motors"),
    Company("Shinagawa Cloud Infrastructure K.K.", "JP",
            "4-10-1 Higashi-Shinagawa, Shinagawa-ku, Tokyo 140-0002", "compute"),
    Company("Chiba Compound Semiconductor Co., Ltd.", "JP",
            "2-1 Nakase, Mihama-ku, Chiba 261-0023", "semis"),
    Company("Hokuriku Living Goods K.K.", "JP", "5-2 Honmachi, Kanazawa, Ishikawa 920-0853",
            "general"),
    # Korea
    Company("Hanbit Semicon Co., Ltd.", "KR",
            "255 Pangyo-ro, Bundang-gu, Seongnam, Gyeonggi 13486", "chips"),
    Company("Daegu Autoparts Co., Ltd.", "KR", "47 Seongseo-ro, Dalseo-gu, Daegu 42718", "auto"),
    Company("Ulsan Electric Motor Co., Ltd.", "KR", "112 Yeompo-ro, Buk-gu, Ulsan 44251",
            "motors"),
    Company("Busan Home Appliance Co., Ltd.", "KR", "88 Noksansandan-ro, Gangseo-gu, Busan 46752",
            "machinery"),
    Company("Suwon Mobile Devices Co., Ltd.", "KR", "129 Samsung-ro, Yeongtong-gu, Suwon 16677",
            "electronics"),
    Company("Pangyo AI Cloud Co., Ltd.", "KR", "17 Daewangpangyo-ro, Bundang-gu, Seongnam 13524",
            "compute"),
    Company("Gumi Optoelectronics Co., Ltd.", "KR", "77 Sandong-ro, Gumi, Gyeongbuk 39422",
            "semis"),
    Company("Hangang Retail Distribution Co., Ltd.", "KR", "210 Mapo-daero, Mapo-gu, Seoul 04168",
            "general"),
    # Taiwan
    Company("Hsinchu Wafer Logic Corp.", "TW",
            "No. 8, Li-Hsin Rd, Hsinchu Science Park, Hsinchu 300", "chips"),
    Company("Taoyuan Server Assembly Co., Ltd.", "TW",
            "No. 168, Huaya 2nd Rd, Guishan, Taoyuan 333", "chips"),
    Company("Kaohsiung Power Electronics Co., Ltd.", "TW",
            "No. 3, Kaifa Rd, Nanzi District, Kaohsiung 811", "electronics"),
    # Thailand
    Company("Rayong Tyre Manufacturing Co., Ltd.", "TH",
            "Amata City Industrial Estate, Pluak Daeng, Rayong 21140", "auto"),
    Company("Ayutthaya Jasmine Rice Mills Co., Ltd.", "TH",
            "Rojana Industrial Park, U-Thai, Ayutthaya 13210", "food"),
    Company("Chonburi Cooling Systems Co., Ltd.", "TH",
            "Amata Nakorn Industrial Estate, Mueang, Chonburi 20000", "machinery"),
    Company("Sukhumvit Retail Distribution Co., Ltd.", "TH",
            "388 Sukhumvit Rd, Khlong Toei, Bangkok 10110", "general"),
    Company("Laem Chabang Cargo Services Co., Ltd.", "TH",
            "Laem Chabang Port, Si Racha, Chonburi 20230", "forwarder"),
    Company("Siam Precision Trading Co., Ltd.", "TH", "Laem Chabang Free Zone, Chonburi", "front"),
    Company("Chonburi Gateway Import-Export Co., Ltd.", "TH",
            "99/7 Moo 3, Bowin, Si Racha, Chonburi 20230", "front"),
    # Mexico
    Company("Autopartes del Bajio S.A. de C.V.", "MX",
            "Carretera Silao-Leon km 5.3, Silao, Guanajuato 36270", "auto"),
    Company("Electrodomesticos Tijuana S.A. de C.V.", "MX",
            "Blvd. Industrial 2400, Tijuana, B.C. 22500", "electronics"),
    Company("Distribuidora Jalisco Hogar S.A. de C.V.", "MX",
            "Av. Lopez Mateos Sur 5550, Zapopan, Jalisco 45050", "general"),
    Company("Comercializadora Rio Bravo S.A. de C.V.", "MX",
            "Av. Constitucion 410, Col. Centro, Monterrey, N.L. 64000", "front"),
    # Malaysia
    Company("Penang Circuit Assembly Sdn. Bhd.", "MY",
            "Bayan Lepas Free Industrial Zone, 11900 Penang", "electronics"),
    Company("Johor Timber Furniture Sdn. Bhd.", "MY", "Muar Furniture Park, 84000 Muar, Johor",
            "furniture"),
    Company("Klang Valley Wholesale Sdn. Bhd.", "MY", "Jalan Sungai Rasa, 41300 Klang, Selangor",
            "general"),
    # India
    Company("Tiruppur Cotton Knits Pvt. Ltd.", "IN",
            "SIDCO Industrial Estate, Tiruppur, Tamil Nadu 641604", "apparel"),
    Company("Ahmedabad Generics Pharma Pvt. Ltd.", "IN",
            "Plot 22, GIDC Vatva, Ahmedabad, Gujarat 382445", "pharma"),
    Company("Morbi Vitrified Tiles Pvt. Ltd.", "IN",
            "8-A National Highway, Morbi, Gujarat 363642", "building"),
    Company("Chennai Auto Castings Pvt. Ltd.", "IN",
            "Sriperumbudur Industrial Park, Kancheepuram, Tamil Nadu 602105", "auto"),
    Company("Noida Handset Manufacturing Pvt. Ltd.", "IN",
            "Sector 63, Noida, Uttar Pradesh 201301", "electronics"),
    Company("Punjab Grain Exports Pvt. Ltd.", "IN", "GT Road, Karnal, Haryana 132001", "food"),
    Company("Vadodara Switchgear & Transformers Pvt. Ltd.", "IN",
            "Makarpura GIDC, Vadodara, Gujarat 390010", "machinery"),
    Company("Mumbai Home Needs Pvt. Ltd.", "IN", "Andheri Kurla Rd, Andheri East, Mumbai 400059",
            "general"),
    # France
    Company("Bordeaux Grands Vins SAS", "FR", "12 Quai des Chartrons, 33000 Bordeaux", "food"),
    Company("Laboratoires Val de Loire SA", "FR", "14 Rue de la Pharmacie, 37000 Tours",
            "pharma"),
    Company("Moteurs Electriques du Dauphine SAS", "FR",
            "ZI des Iles, 38120 Le Fontanil-Cornillon", "motors"),
    Company("Calcul Intensif Saclay SAS", "FR", "Route de l'Orme, 91190 Gif-sur-Yvette",
            "compute"),
    Company("Maison Rhone Distribution SAS", "FR", "45 Rue de Gerland, 69007 Lyon", "general"),
    Company("Auto Pieces Lorraine SARL", "FR", "3 Rue de l'Industrie, 57000 Metz", "auto"),
    # Italy
    Company("Ceramiche Sassuolo Nord S.p.A.", "IT", "Via Radici in Piano 200, 41049 Sassuolo MO",
            "building"),
    Company("Mobilificio Brianza S.r.l.", "IT", "Via Milano 45, 20831 Seregno MB", "furniture"),
    Company("Cantine Colli Euganei S.r.l.", "IT", "Via Roma 18, 35032 Arqua Petrarca PD", "food"),
    Company("Calzaturificio Fermano S.r.l.", "IT", "Via Adriatica 77, 63900 Fermo FM", "apparel"),
    Company("Valvole Lombarde S.p.A.", "IT", "Via Bergamo 12, 24035 Curno BG", "machinery"),
    Company("Emilia Casa Distribuzione S.r.l.", "IT", "Via Emilia Est 980, 41122 Modena",
            "general"),
    # United Kingdom
    Company("Midlands Motor Spares Ltd", "GB",
            "Unit 4, Tyseley Industrial Estate, Birmingham B11 2AA", "auto"),
    Company("Cambridge Generic Medicines Ltd", "GB", "Milton Rd, Cambridge CB4 0WS", "pharma"),
    Company("Thames Household Goods Ltd", "GB", "Dock Rd, Tilbury RM18 7BH", "general"),
    # Netherlands
    Company("Eindhoven Home Retail B.V.", "NL", "Kanaaldijk 110, 5611 AB Eindhoven", "general"),
    Company("Delft Systems Distribution B.V.", "NL", "Rotterdamseweg 183, 2629 HD Delft",
            "it_distributor"),
    Company("Rijnmond Logistiek B.V.", "NL", "Waalhaven Zuidzijde 21, 3089 JH Rotterdam",
            "forwarder"),
    # Brazil
    Company("Cafe Sul de Minas Exportadora Ltda.", "BR",
            "Rua Dr. Fonseca 120, Varginha, MG 37002-010", "food"),
    Company("Calcados Vale dos Sinos Ltda.", "BR", "Av. Pedro Adams Filho 5300, Novo Hamburgo, RS",
            "apparel"),
    Company("Ceramica Rio Claro Ltda.", "BR", "Rod. Washington Luis km 172, Rio Claro, SP",
            "building"),
    Company("Sao Paulo Distribuidora Ltda.", "BR", "Av. Marques de Sao Vicente 1000, Sao Paulo, SP",
            "general"),
    # Singapore, Kyrgyzstan, Armenia
    Company("Straits Harbour Logistics Pte. Ltd.", "SG", "7 Keppel Rd, #03-01, Singapore 089053",
            "forwarder"),
    Company("Marina Bay Compute Solutions Pte. Ltd.", "SG",
            "10 Anson Rd, #22-02 International Plaza, Singapore 079903", "front"),
    Company("Bishkek Digital Systems LLC", "KG", "Chui Ave 155, Bishkek 720040", "front"),
    Company("Yerevan Tech Import LLC", "AM", "Tigran Mets Ave 48, Yerevan 0005", "front"),
)  # fmt: skip

# Entities of screener/data/lists/csl-sample.csv the schemes use: the listed name first, then
# its listed aliases, with the country and address the list gives.
LISTED = {
    "golden_lotus": (("Golden Lotus Magnet Trading Co. Ltd.", "Golden Lotus Magnetics",
                      "GLM Trading"), "TH",
                     "55/12 Moo 4, Laem Chabang Industrial Estate, Si Racha, Chonburi, 20230"),
    "pacifico_raros": (("Pacifico Raros Importaciones S.A. de C.V.", "Pacifico Raros",
                        "PRI Logistica"), "MX",
                       "Av. Industrial 1200, Parque Industrial Norte, Monterrey, NL, 64000"),
    "huaxin": (("Shenzhen Huaxin Microelectronics Technology Co. Ltd.", "Huaxin Micro",
                "HX Microelectronics"), "CN",
               "Room 1801, Block B, Tech Park, Nanshan District, Shenzhen, Guangdong, 518057"),
    "starlight_hk": (("Starlight Components Limited", "Starlight Components HK"), "HK",
                     "Unit 9, 12/F, Kwai Cheong Centre, Kwai Chung, New Territories"),
    "starlight_ae": (("Starlight Components Limited",
                      "Starlight Electronic Components Trading LLC"), "AE",
                     "Office 14, Jebel Ali Free Zone, Dubai"),
    "gulf_horizon": (("Gulf Horizon General Trading FZE", "Gulf Horizon Trading", "GHGT FZE"),
                     "AE", "Plot S20119, Jebel Ali Free Zone South, Dubai"),
    "kuala_strategic": (("Kuala Strategic Supplies Sdn. Bhd.",), "MY",
                        "Jalan Perindustrian 5, Port Klang, Selangor, 42000"),
    "caspian_bridge": (("Caspian Bridge Trading LLP", "Caspian Bridge", "KB Trading"), "KZ",
                       "Dostyk Ave 210, Almaty, 050051"),
    "arktika": (("Arktika Tekhnologii OOO", "Arctic Technologies LLC", "Arktika Tech"), "RU",
                "ul. Promyshlennaya 7, Moscow, 115088"),
    "saigon_rare_metals": (("Saigon Rare Metals Joint Stock Company", "Saigon Rare Metals JSC"),
                           "VN", "Lot C3, Hiep Phuoc Industrial Park, Nha Be, Ho Chi Minh City"),
}  # fmt: skip
# Listed consignees for chips, by destination hub (SG: an unlisted front, listed end user).
CHIP_CONSIGNEES = {
    "HK": ("starlight_hk",),
    "AE": ("gulf_horizon", "starlight_ae"),
    "MY": ("kuala_strategic",),
    "SG": (),
}
# How declarants misspell a listed name; a screener must still see through these.
LEGAL_SUFFIXES = (" Co. Ltd.", " Limited")
ACCENTED = {"Pacifico": "Pacífico"}


# --- public API ---------------------------------------------------------------------------


def generate(
    n: int,
    *,
    seed: int = 7,
    start: datetime | None = None,
    planted_share: float = 0.12,
    malformed_share: float = 0.03,
) -> list[SampleMessage]:
    """`n` messages in stream order: round(n*planted_share) planted, round(n*malformed_share)
    malformed, the rest ordinary. Same arguments, same bytes: no global random, no wall clock.

    Schemes and kinds are dealt round-robin before shuffling, so every one appears once the
    counts reach len(planted_schemes()) and len(malformed_kinds()) (n >= 300 at the defaults).
    """
    if n < 0:
        raise ValueError("n must not be negative")
    for name, share in (("planted_share", planted_share), ("malformed_share", malformed_share)):
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{name} must be between 0 and 1, got {share}")
    rng = random.Random(seed)
    n_planted = min(round(n * planted_share), n)
    n_malformed = min(round(n * malformed_share), n - n_planted)
    labels = [f"planted:{s}" for s in _deal(rng, planted_schemes(), n_planted)]
    labels += [f"malformed:{k}" for k in _deal(rng, malformed_kinds(), n_malformed)]
    labels += ["ordinary"] * (n - len(labels))
    rng.shuffle(labels)

    ids = _IdBook(rng)
    clock = _as_utc(start) if start is not None else DEFAULT_START
    messages = []
    for label in labels:
        messages.append(_message(rng, ids, label, clock))
        clock += timedelta(seconds=rng.randint(*GAP_SECONDS))
    return messages


def planted_schemes() -> tuple[str, ...]:
    return tuple(SCHEMES)


def malformed_kinds() -> tuple[str, ...]:
    return tuple(BREAKERS)


# --- assembly -----------------------------------------------------------------------------

RawDeclaration = dict[str, Any]  # a declaration as the JSON it becomes
Rng = random.Random


def _message(rng: Rng, ids: _IdBook, label: str, at: datetime) -> SampleMessage:
    group, _, name = label.partition(":")
    if group == "malformed":
        key, value, declaration_id = BREAKERS[name](rng, _ordinary(rng, ids, at))
        return SampleMessage(key, value, label, declaration_id)
    decl = SCHEMES[name](rng, ids, at) if group == "planted" else _ordinary(rng, ids, at)
    return SampleMessage(
        decl["declaration_id"].encode(), orjson.dumps(decl), label, decl["declaration_id"]
    )


def _deal(rng: Rng, names: Sequence[str], count: int) -> list[str]:
    """`count` names, each used equally often; the remainder goes to a seeded sample."""
    rounds, rest = divmod(count, len(names))
    return list(names) * rounds + rng.sample(list(names), rest)


class _IdBook:
    """Declaration ids like CN-EXP-2026-0004217: a running number per office country and type."""

    def __init__(self, rng: Rng) -> None:
        self._rng = rng
        self._last: dict[tuple[str, str, int], int] = {}

    def next(self, country: str, kind: str, year: int) -> str:
        key = (country, kind, year)
        if key not in self._last:
            self._last[key] = self._rng.randint(1_000, 60_000)
        # Other brokers file in between, so consecutive ids of one stream skip numbers.
        self._last[key] += self._rng.randint(1, 25)
        return f"{country}-{TYPE_CODES[kind]}-{year}-{self._last[key]:07d}"


def _declaration(
    ids: _IdBook,
    at: datetime,
    *,
    kind: str,
    office: str,
    parties: dict[str, Any],
    route: dict[str, Any],
    items: list[dict[str, Any]],
    documents: list[dict[str, Any]],
    payment: dict[str, Any] | None,
    amendments: Sequence[dict[str, Any]] = (),
) -> RawDeclaration:
    return {
        "schema_version": 1,
        "declaration_id": ids.next(office[:2], kind, at.year),
        "declared_at": _iso(at),
        "declaration_type": kind,
        "customs_office": office,
        "parties": parties,
        "route": route,
        "items": items,
        "documents": documents,
        "payment": payment,
        "amendments": list(amendments),
    }


def _party(company: Company) -> dict[str, Any]:
    # Declarants rarely know a listed party's registry id; everyone else has an EORI-style one.
    registry_id = None if company.trade == "listed" else _registry_id(company)
    return {
        "id": registry_id,
        "name": company.name,
        "country": company.country,
        "address": company.address,
    }


def _parties(exporter: Company, consignee: Company, **others: Company | None) -> dict[str, Any]:
    roles = ("notify_party", "freight_forwarder", "end_user", "declarant")
    parties = {"exporter": _party(exporter), "consignee": _party(consignee)}
    for role in roles:
        company = others.get(role)
        parties[role] = _party(company) if company is not None else None
    return parties


def _route(
    origin: str,
    destination: str,
    mode: str,
    *,
    loading: str | None,
    discharge: str | None,
    dispatch: str | None = None,
    transit: Sequence[str] = (),
    final: str | None = None,
) -> dict[str, Any]:
    return {
        "origin_country": origin,
        "dispatch_country": dispatch or origin,
        "port_of_loading": loading,
        "transit_countries": list(transit),
        "port_of_discharge": discharge,
        "destination_country": destination,
        "final_destination_country": final,
        "transport_mode": mode,
    }


def _item(
    rng: Rng,
    line: int,
    goods: Goods,
    origin: str,
    mass_kg: float,
    currency: str,
    *,
    usd_per_kg: tuple[float, float] | None = None,
    licence_ref: str | None = None,
) -> dict[str, Any]:
    if goods.kg_per_unit:
        quantity = max(1, round(mass_kg / goods.kg_per_unit))
        mass_kg = quantity * goods.kg_per_unit
    else:
        quantity = max(1, round(mass_kg))
        mass_kg = float(quantity)
    usd = mass_kg * rng.uniform(*(usd_per_kg or goods.usd_per_kg))
    return {
        "line": line,
        "hs_code": goods.hs_code,
        "description": goods.description,
        "quantity": quantity,
        "quantity_unit": goods.unit,
        "net_mass_kg": round(mass_kg, 2),
        "value": _money(usd, currency),
        "origin_country": origin,
        "licence_ref": licence_ref,
    }


def _money(usd: float, currency: str) -> dict[str, str]:
    amount = usd / FX_TO_USD[currency]
    places = 0 if currency in ZERO_DECIMAL_CURRENCIES else 2
    return {"amount": f"{amount:.{places}f}", "currency": currency}


def _documents(
    rng: Rng, at: datetime, exporter_country: str, dispatch: str, mode: str
) -> list[dict[str, Any]]:
    """Commercial invoice and packing list from the exporter, transport document from the
    carrier at dispatch."""
    number = f"{at.year}-{rng.randint(10_000, 99_999)}"
    invoiced = _day(at, -rng.randint(1, 6))
    docs = [
        _document("commercial_invoice", f"INV-{number}", exporter_country, invoiced),
        _document("packing_list", f"PL-{number}", exporter_country, invoiced),
    ]
    if mode == "air":
        serial = rng.randint(1_000_000, 9_999_999)  # IATA air waybill: serial + mod-7 check digit
        awb = f"{rng.choice(AIRLINE_PREFIXES)}-{serial:07d}{serial % 7}"
        docs.append(_document("air_waybill", awb, dispatch, _day(at, 0)))
    elif mode == "road":
        docs.append(
            _document("other", f"CMR-{rng.randint(100_000, 999_999)}", dispatch, _day(at, 0))
        )
    else:
        bill = f"{rng.choice(SHIPPING_LINES)}{rng.randint(100_000_000, 999_999_999)}"
        docs.append(_document("bill_of_lading", bill, dispatch, _day(at, -rng.randint(0, 2))))
    return docs


def _document(kind: str, number: str, country: str, issued: str) -> dict[str, Any]:
    return {"type": kind, "number": number, "issuing_country": country, "issued_at": issued}


def _payment(rng: Rng, payer_country: str, method: str | None = None) -> dict[str, str]:
    if method is None:
        method = rng.choices(list(PAYMENT_METHODS), weights=list(PAYMENT_METHODS.values()))[0]
    return {"method": method, "payer_country": payer_country}


def _amendment(rng: Rng, at: datetime, field: str) -> dict[str, str]:
    # Made after booking, shortly before the declaration was filed.
    return {"field": field, "amended_at": _iso(at - timedelta(minutes=rng.randint(20, 240)))}


# --- ordinary trade -----------------------------------------------------------------------


def _ordinary(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    if rng.random() < LICENSED_SHARE:
        return _licensed_controlled(rng, ids, at)
    goods = rng.choice(GOODS)
    origin = rng.choice(goods.origins)
    destination = _destination(rng, origin)
    mode = _mode(rng, origin, destination, goods)
    currency = _currency(rng, origin, destination)
    lines = [goods, *_companions(rng, goods, origin)]
    items = [
        _item(rng, i, g, origin, _line_mass(rng, g, mode), currency)
        for i, g in enumerate(lines, start=1)
    ]
    transit = ()
    if (
        mode == "sea"
        and origin in TRANSHIPMENT["from"]
        and destination in TRANSHIPMENT["to"]
        and rng.random() < 0.3
    ):
        transit = (rng.choice([h for h in TRANSHIPMENT["via"] if h != origin]),)
    loading, discharge = _ports(rng, origin, destination, mode)
    exporter = _company(rng, origin, goods.trade)
    consignee = _company(rng, destination, goods.trade)
    forwarder = _forwarder(rng, origin) if rng.random() < 0.45 else None
    kind = rng.choices(("export", "import"), weights=(55, 45))[0]
    if kind == "export":
        office, declarant = loading or INLAND_OFFICES[origin], forwarder
    else:
        office, declarant = discharge or INLAND_OFFICES[destination], None
    amendments = []
    if rng.random() < 0.08:  # routine corrections, never of parties or destinations
        field = rng.choice(("route.port_of_discharge", "items.1.quantity", "payment.method"))
        amendments.append(_amendment(rng, at, field))
    return _declaration(
        ids,
        at,
        kind=kind,
        office=office,
        parties=_parties(exporter, consignee, freight_forwarder=forwarder, declarant=declarant),
        route=_route(
            origin, destination, mode, loading=loading, discharge=discharge, transit=transit
        ),
        items=items,
        documents=_documents(rng, at, origin, origin, mode),
        payment=_payment(rng, consignee.country) if rng.random() < 0.9 else None,
        amendments=amendments,
    )


def _licensed_controlled(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """Controlled goods done right: licence, direct route to a non-hub buyer, buyer pays."""
    trade = rng.choice(LICENSED_TRADE)
    goods = trade.goods
    origin = rng.choice(goods.origins)
    destination = rng.choice([c for c in trade.destinations if c != origin])
    mode = "air" if goods.usd_per_kg[0] >= 200 or rng.random() < 0.3 else "sea"
    licence = LICENCE_FORMATS[origin].format(year=at.year, n=rng.randint(1, 99_999))
    currency = "USD"
    item = _item(rng, 1, goods, origin, _line_mass(rng, goods, mode), currency, licence_ref=licence)
    loading, discharge = _ports(rng, origin, destination, mode)
    exporter = _company(rng, origin, trade.seller)
    consignee = _company(rng, destination, trade.buyer)
    documents = _documents(rng, at, origin, origin, mode)
    documents += [
        _document("export_licence", licence, origin, _day(at, -rng.randint(20, 90))),
        _document(
            "end_user_certificate",
            f"EUC-{at.year}-{rng.randint(1_000, 9_999)}",
            destination,
            _day(at, -rng.randint(30, 120)),
        ),
    ]
    return _declaration(
        ids,
        at,
        kind="export",
        office=loading,
        parties=_parties(exporter, consignee),
        route=_route(origin, destination, mode, loading=loading, discharge=discharge),
        items=[item],
        documents=documents,
        payment=_payment(rng, destination),
    )


def _destination(rng: Rng, origin: str) -> str:
    candidates = [c for c in TRADE_WEIGHTS if c != origin and not (origin in EU and c in EU)]
    return rng.choices(candidates, weights=[TRADE_WEIGHTS[c] for c in candidates])[0]


def _mode(rng: Rng, origin: str, destination: str, goods: Goods) -> str:
    if (origin, destination) in ROAD_LANES and rng.random() < 0.75:
        return "road"
    if goods.usd_per_kg[1] >= 25 and rng.random() < 0.35:  # only valuable goods fly
        return "air"
    return "sea"


def _ports(rng: Rng, origin: str, destination: str, mode: str) -> tuple[str | None, str | None]:
    if mode == "road":
        return None, None
    table = AIRPORTS if mode == "air" else SEA_PORTS
    return rng.choice(table[origin]), rng.choice(table[destination])


def _line_mass(rng: Rng, goods: Goods, mode: str) -> float:
    low, high = goods.sea_kg
    if mode == "air":  # a pallet or two, not a container
        low, high = max(low / 20, 5.0), max(high / 10, 10.0)
    return rng.uniform(low, high)


def _companions(rng: Rng, goods: Goods, origin: str) -> list[Goods]:
    """Up to two more lines of the same trade from the same origin: one supplier, one box."""
    others = [g for g in GOODS if g.trade == goods.trade and g is not goods and origin in g.origins]
    return rng.sample(others, min(len(others), rng.choice((0, 0, 0, 1, 1, 2))))


def _currency(rng: Rng, origin: str, destination: str) -> str:
    if origin in EU and rng.random() < 0.6:
        return "EUR"
    if "GB" in (origin, destination) and rng.random() < 0.5:
        return "GBP"
    if origin == "JP" and rng.random() < 0.4:
        return "JPY"
    if origin == "CN" and rng.random() < 0.15:
        return "CNY"
    return "USD"


def _company(rng: Rng, country: str, trade: str) -> Company:
    """A company of this country in this trade, else a general importer/distributor there."""
    matches = [c for c in COMPANIES if c.country == country and c.trade == trade]
    return rng.choice(
        matches or [c for c in COMPANIES if c.country == country and c.trade == "general"]
    )


def _forwarder(rng: Rng, country: str) -> Company | None:
    matches = [c for c in COMPANIES if c.country == country and c.trade == "forwarder"]
    return rng.choice(matches) if matches else None


def _registry_id(company: Company) -> str:
    return f"{company.country}{zlib.crc32(company.name.encode()):010d}"


# --- planted schemes ----------------------------------------------------------------------
# Points in the docstrings are under policy 2026.11.1 (alert threshold 55).


def _listed(rng: Rng, key: str) -> Company:
    """A listed party as a declarant would type it: listed name or alias, maybe re-cased,
    stripped of punctuation or of its company-type suffix, or with accents."""
    names, country, address = LISTED[key]
    name = rng.choice(names)
    style = rng.choice(("as_listed", "upper", "no_punctuation", "no_suffix", "accented"))
    if style == "upper":
        name = name.upper()
    elif style == "no_punctuation" and not re.search(r"\.\w", name):  # not "S.A." or "C.V."
        name = name.replace(".", "").replace(",", "")
    elif style == "no_suffix":
        name = next((name.removesuffix(s) for s in LEGAL_SUFFIXES if name.endswith(s)), name)
    elif style == "accented":
        for plain, accented in ACCENTED.items():
            name = name.replace(plain, accented)
    return Company(name, country, address, "listed")


def _magnets_via_th_to_mx(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """The seed article's route: NdFeB magnets to a Thai free-zone consignee, declared onward
    to Mexico, no licence, paid from the Gulf, consignee swapped just before filing.
    Hub destination 25 + onward 15 + no licence 20 + third-country payer 10 + amendment 15."""
    loading = rng.choice(("CNSHA", "CNNGB"))
    notify = _company(rng, "MX", "front") if rng.random() < 0.5 else None
    return _declaration(
        ids,
        at,
        kind="export",
        office=loading,
        parties=_parties(
            _company(rng, "CN", "magnets"), _company(rng, "TH", "front"), notify_party=notify
        ),
        route=_route("CN", "TH", "sea", loading=loading, discharge="THLCH", final="MX"),
        items=[_item(rng, 1, NDFEB, "CN", rng.uniform(400, 3000), "USD")],
        documents=_documents(rng, at, "CN", "CN", "sea"),
        payment=_payment(rng, rng.choice(("AE", "HK")), "letter_of_credit"),
        amendments=[_amendment(rng, at, "parties.consignee")],
    )


def _antimony_as_zinc(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """Antimony declared as zinc ingots (HS 7901, not controlled) but priced like antimony, to a
    listed Mexican importer, sometimes transhipped in Thailand.
    Listed party 60 + unit value outlier 20 (zinc tops out at 6 USD/kg) + payer 10."""
    loading = rng.choice(("CNSZX", "CNSHA", "CNTAO"))
    transit = ("TH",) if rng.random() < 0.5 else ()
    item = _item(rng, 1, ZINC, "CN", rng.uniform(*ZINC.sea_kg), "USD", usd_per_kg=(12, 20))
    return _declaration(
        ids,
        at,
        kind="export",
        office=loading,
        parties=_parties(_company(rng, "CN", "metals"), _listed(rng, "pacifico_raros")),
        route=_route(
            "CN",
            "MX",
            "sea",
            loading=loading,
            discharge=rng.choice(("MXZLO", "MXLZC")),
            transit=transit,
        ),
        items=[item],
        documents=_documents(rng, at, "CN", "CN", "sea"),
        payment=_payment(rng, rng.choice(("HK", "AE")), "wire_transfer"),
    )


def _gallium_via_vn(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """Gallium (banned to the US since December 2024) trucked into Viet Nam and shipped from
    Hai Phong to a US shell; consignee swapped late; paid from a third country.
    Hub transit 30 + no licence 20 + payer 10 + amendment 15."""
    return _declaration(
        ids,
        at,
        kind="export",
        office=INLAND_OFFICES["CN"],  # the border office to Viet Nam
        parties=_parties(_company(rng, "CN", "metals"), _company(rng, "US", "front")),
        route=_route(
            "CN",
            "US",
            "multimodal",
            loading="VNHPH",
            discharge=rng.choice(("USLAX", "USLGB")),
            transit=("VN",),
        ),
        items=[_item(rng, 1, GALLIUM, "CN", rng.uniform(*GALLIUM.sea_kg), "USD")],
        documents=_documents(rng, at, "CN", "CN", "road"),
        payment=_payment(rng, rng.choice(("HK", "SG", "AE"))),
        amendments=[_amendment(rng, at, "parties.consignee")],
    )


def _chips_to_listed_party(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """Advanced GPUs flown to an entrepot where the consignee or end user is listed.
    Listed party 60 + hub destination 25 + no licence 20."""
    origin = rng.choice(GPU.origins)
    destination = rng.choice(tuple(CHIP_CONSIGNEES))
    consignees = CHIP_CONSIGNEES[destination]
    if consignees:
        consignee = _listed(rng, rng.choice(consignees))
        end_user = _listed(rng, "huaxin") if rng.random() < 0.3 else None
    else:
        consignee, end_user = _company(rng, destination, "front"), _listed(rng, "huaxin")
    loading, discharge = _ports(rng, origin, destination, "air")
    mass = GPU.kg_per_unit * 8 * rng.randint(1, 12)  # boards ship in 8-GPU sets
    return _declaration(
        ids,
        at,
        kind="export",
        office=loading,
        parties=_parties(_company(rng, origin, "chips"), consignee, end_user=end_user),
        route=_route(origin, destination, "air", loading=loading, discharge=discharge),
        items=[_item(rng, 1, GPU, origin, mass, "USD")],
        documents=_documents(rng, at, origin, origin, "air"),
        payment=_payment(rng, consignee.country, "wire_transfer"),
    )


def _listed_exporter_rare_earth_oxide(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """Chinese samarium oxide re-exported by a listed trader in a hub and transhipped in
    another. Listed party 60 + hub transit 30 + no licence 20."""
    exporter = _listed(rng, rng.choice(("saigon_rare_metals", "golden_lotus")))
    loading = "VNSGN" if exporter.country == "VN" else "THLCH"
    destination = rng.choice(("US", "JP", "KR", "DE", "FR"))
    transit = (rng.choice(("SG", "MY")),)
    return _declaration(
        ids,
        at,
        kind="re-export",
        office=loading,
        parties=_parties(exporter, _company(rng, destination, "motors")),
        route=_route(
            "CN",
            destination,
            "sea",
            dispatch=exporter.country,
            loading=loading,
            discharge=rng.choice(SEA_PORTS[destination]),
            transit=transit,
        ),
        items=[_item(rng, 1, SM_OXIDE, "CN", rng.uniform(*SM_OXIDE.sea_kg), "USD")],
        documents=_documents(rng, at, exporter.country, exporter.country, "sea"),
        payment=_payment(rng, destination),
    )


def _servers_via_eurasia(rng: Rng, ids: _IdBook, at: datetime) -> RawDeclaration:
    """AI servers from a European distributor along the Middle Corridor to Central Asia or the
    Caucasus, declared onward to Russia, with a listed consignee or end user.
    Listed party 60 + hub transit 30 + hub destination 25 + onward 15 + no licence 20."""
    exporter = _company(rng, rng.choice(("DE", "NL")), "it_distributor")
    origin = rng.choice(SERVER.origins)
    destination = rng.choice(tuple(EURASIA_CORRIDOR))
    if destination == "KZ":
        consignee, end_user = _listed(rng, "caspian_bridge"), None
    else:
        consignee, end_user = _company(rng, destination, "front"), _listed(rng, "arktika")
    items = [_item(rng, 1, SERVER, origin, rng.uniform(*SERVER.sea_kg), "USD")]
    if rng.random() < 0.5:
        items.append(_item(rng, 2, SWITCH, origin, rng.uniform(*SWITCH.sea_kg), "USD"))
    loading = rng.choice(SEA_PORTS[exporter.country])
    return _declaration(
        ids,
        at,
        kind="export",
        office=loading,
        parties=_parties(exporter, consignee, end_user=end_user),
        route=_route(
            origin,
            destination,
            "multimodal",
            dispatch=exporter.country,
            loading=loading,
            discharge=None,
            transit=EURASIA_CORRIDOR[destination],
            final="RU",
        ),
        items=items,
        documents=_documents(rng, at, exporter.country, exporter.country, "sea"),
        payment=_payment(rng, rng.choice(("AE", "TR", "HK"))),
    )


SCHEMES: dict[str, Callable[[Rng, _IdBook, datetime], RawDeclaration]] = {
    "magnets_via_th_to_mx": _magnets_via_th_to_mx,
    "antimony_as_zinc": _antimony_as_zinc,
    "gallium_via_vn": _gallium_via_vn,
    "chips_to_listed_party": _chips_to_listed_party,
    "listed_exporter_rare_earth_oxide": _listed_exporter_rare_earth_oxide,
    "servers_via_eurasia": _servers_via_eurasia,
}


# --- malformed messages -------------------------------------------------------------------
# Each takes a valid declaration and returns (key, value, declaration_id) as a broken
# producer would send them.

Broken = tuple[bytes | None, bytes, str | None]


def _keyed(decl: RawDeclaration) -> Broken:
    return decl["declaration_id"].encode(), orjson.dumps(decl), decl["declaration_id"]


def _not_json(rng: Rng, decl: RawDeclaration) -> Broken:
    if rng.random() < 0.5:
        # A broker's legacy flat-file export pushed as is.
        item = decl["items"][0]
        route = decl["route"]
        fields = (
            decl["declaration_id"],
            decl["declared_at"],
            route["origin_country"],
            route["destination_country"],
            item["hs_code"],
            str(item["net_mass_kg"]),
            item["value"]["amount"],
            item["value"]["currency"],
        )
        return decl["declaration_id"].encode(), ",".join(fields).encode(), decl["declaration_id"]
    # A producer left on an Avro serializer: Confluent wire format (magic byte 0, schema id).
    schema_id = rng.randint(1, 5_000).to_bytes(4, "big")
    return None, b"\x00" + schema_id + rng.randbytes(rng.randint(120, 600)), None


def _truncated_json(rng: Rng, decl: RawDeclaration) -> Broken:
    key, value, declaration_id = _keyed(decl)
    return key, value[: rng.randint(len(value) // 5, len(value) * 4 // 5)], declaration_id


def _wrong_schema_version(rng: Rng, decl: RawDeclaration) -> Broken:
    decl["schema_version"] = 2
    return _keyed(decl)


def _unknown_country(rng: Rng, decl: RawDeclaration) -> Broken:
    slip = rng.choice(("name", "placeholder", "uk"))
    if slip == "name":  # the country's name where its code belongs
        code = decl["route"]["destination_country"]
        decl["route"]["destination_country"] = pycountry.countries.get(alpha_2=code).name
    elif slip == "placeholder":
        decl["parties"]["consignee"]["country"] = "XX"
    else:  # the usual slip for GB
        decl["parties"]["exporter"]["country"] = "UK"
    return _keyed(decl)


def _bad_hs_code(rng: Rng, decl: RawDeclaration) -> Broken:
    item = decl["items"][0]
    code = item["hs_code"]
    item["hs_code"] = rng.choice(
        (f"{code[:2]}.{code[2:4]}.{code[4:6]}", f"{code[:4]}.{code[4:6]}.{code[6:8]}", code[:4])
    )
    return _keyed(decl)


def _negative_mass(rng: Rng, decl: RawDeclaration) -> Broken:
    item = rng.choice(decl["items"])
    item["net_mass_kg"] = -item["net_mass_kg"]
    return _keyed(decl)


def _missing_field(rng: Rng, decl: RawDeclaration) -> Broken:
    del decl["declaration_id"]
    return None, orjson.dumps(decl), None


def _empty_items(rng: Rng, decl: RawDeclaration) -> Broken:
    decl["items"] = []
    return _keyed(decl)


def _extra_field(rng: Rng, decl: RawDeclaration) -> Broken:
    # Fields other systems carry that contract v1 does not have.
    field, value = rng.choice(
        (
            ("incoterms", "FOB"),
            ("container_numbers", [f"MSKU{rng.randint(1_000_000, 9_999_999)}"]),
            ("customer_reference", f"PO-{rng.randint(100_000, 999_999)}"),
        )
    )
    decl[field] = value
    return _keyed(decl)


BREAKERS: dict[str, Callable[[Rng, RawDeclaration], Broken]] = {
    "not_json": _not_json,
    "truncated_json": _truncated_json,
    "wrong_schema_version": _wrong_schema_version,
    "unknown_country": _unknown_country,
    "bad_hs_code": _bad_hs_code,
    "negative_mass": _negative_mass,
    "missing_field": _missing_field,
    "empty_items": _empty_items,
    "extra_field": _extra_field,
}


# --- small helpers ------------------------------------------------------------------------


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _day(moment: datetime, offset_days: int) -> str:
    return (moment + timedelta(days=offset_days)).date().isoformat()
