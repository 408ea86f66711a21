"""What the simulated world is made of: countries, their ports and naming habits, and goods.

Unit values sit inside the ranges a customs valuation officer would accept (and inside
policy.yaml's ranges where it has one); masses are those of a container or truck load, or of
a pallet by air. Controlled goods carry `licensed=True`: their makers need an export licence,
which ordinary exporters hold. Some goods fall under a controlled HS heading without being
controlled (microcontrollers and memory under 8542.31/32): the HS code alone cannot tell.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Country:
    code: str
    weight: float  # share of world trade, relative
    currency: str  # what its exporters invoice in when not in USD
    ports: tuple[str, ...]  # UN/LOCODEs of its sea or air ports (or its main border office)
    places: tuple[str, ...]  # city or region words that companies put in their names
    syllables: tuple[str, ...]  # coined-name parts in the local style
    legal_forms: tuple[str, ...]  # "{}" is the name


@dataclass(frozen=True)
class Goods:
    key: str
    hs_code: str
    description: str
    unit: str
    kg_per_unit: float | None  # None: the quantity is the net mass in kg
    usd_per_kg: tuple[float, float]
    line_kg: tuple[float, float]  # net mass of one line by sea or road
    trade: str  # the seller's line of business
    buyers: tuple[str, ...]  # lines of business that buy it
    makers: tuple[str, ...]  # countries that export it
    weight: float = 1.0  # how common it is among trade relationships
    licensed: bool = False  # its export needs a licence (controlled goods)


_CN = ("heng", "xin", "da", "tai", "long", "hua", "feng", "jin", "yuan", "sheng", "kang",
       "rui", "bo", "hai", "tian", "mei", "cheng", "an")  # fmt: skip
_LATIN = ("Nor", "Vel", "Tra", "Ami", "Cor", "Sol", "Ter", "Alta", "Ver", "Lum", "Pra", "Mar",
          "Lin", "Oro", "Val", "Rio", "Cas", "Del")  # fmt: skip
_JP = ("ka", "ta", "mi", "ya", "shi", "ro", "no", "to", "ko", "mo", "se", "ha")
_KR = ("han", "seong", "dae", "jin", "woo", "min", "sung", "il", "kwang", "dong", "hyun")
_VN = ("phu", "thanh", "an", "minh", "hoa", "viet", "tan", "long", "phat", "duc")
_TH = ("pha", "kit", "sin", "charoen", "som", "thon", "nak", "chai", "wong", "dee")
_MY = ("maju", "jaya", "sinar", "bumi", "setia", "indah", "permata", "cahaya")
_IN = ("shri", "ganesh", "laxmi", "sai", "vijay", "anand", "krishna", "bharat", "deep")
_DE = ("nord", "sued", "rhein", "elb", "berg", "wald", "stein", "hof", "brück", "feld")
_TR = ("yildiz", "deniz", "ozen", "kaya", "ege", "tekin", "aksoy", "demir")
_RU = ("vol", "ga", "sib", "tek", "ural", "ner", "prom", "stroy", "kam", "don")
_CA = ("altyn", "nur", "ak", "bek", "tau", "sary", "kok", "zhol", "aral", "ara", "van")

COUNTRIES: dict[str, Country] = {
    c.code: c
    for c in (
        Country("CN", 14, "CNY", ("CNSHA", "CNNGB", "CNSZX", "CNTAO", "CNTXG", "CNXMN"),
                ("Shenzhen", "Ningbo", "Xiamen", "Suzhou", "Dongguan", "Foshan", "Qingdao",
                 "Tianjin", "Hangzhou", "Wuxi", "Changzhou", "Zhuhai"), _CN,
                ("{} Co., Ltd.",)),
        Country("US", 11, "USD", ("USLAX", "USLGB", "USNYC", "USSAV", "USHOU", "USSEA"),
                ("Lakeside", "Midwest", "Gulf Coast", "Pacific", "Keystone", "Bay Area",
                 "Piedmont", "Great Plains"), _LATIN, ("{} Inc.", "{} LLC", "{} Corp.")),
        Country("DE", 7, "EUR", ("DEHAM", "DEBRV"),
                ("Hamburg", "Stuttgart", "Bremen", "Koeln", "Dresden", "Augsburg", "Bielefeld"),
                _DE, ("{} GmbH", "{} GmbH & Co. KG")),
        Country("JP", 5, "JPY", ("JPTYO", "JPYOK", "JPUKB", "JPNGO"),
                ("Osaka", "Nagoya", "Yokohama", "Kobe", "Sendai", "Hamamatsu"), _JP,
                ("{} K.K.", "{} Co., Ltd.")),
        Country("KR", 4, "USD", ("KRPUS", "KRINC"),
                ("Incheon", "Busan", "Ulsan", "Daegu", "Suwon", "Changwon"), _KR,
                ("{} Co., Ltd.",)),
        Country("NL", 3, "EUR", ("NLRTM", "NLAMS"),
                ("Rotterdam", "Eindhoven", "Utrecht", "Venlo", "Tilburg"), _DE, ("{} B.V.",)),
        Country("FR", 3, "EUR", ("FRLEH", "FRFOS", "FRCDG"),
                ("Lyon", "Lille", "Nantes", "Toulouse", "Rouen"), _LATIN, ("{} SAS", "{} SARL")),
        Country("IT", 3, "EUR", ("ITGOA", "ITSPE", "ITMIL"),
                ("Milano", "Torino", "Bologna", "Padova", "Brescia"), _LATIN,
                ("{} S.r.l.", "{} S.p.A.")),
        Country("GB", 3, "GBP", ("GBFXT", "GBSOU", "GBLHR"),
                ("Midlands", "Yorkshire", "Bristol", "Mersey", "Thames"), _LATIN, ("{} Ltd",)),
        Country("MX", 3, "USD", ("MXZLO", "MXLZC", "MXVER", "MXNLD"),
                ("Monterrey", "Guadalajara", "Queretaro", "Tijuana", "Saltillo", "Bajio"),
                _LATIN, ("{} S.A. de C.V.",)),
        Country("VN", 3, "USD", ("VNSGN", "VNHPH", "VNCMT"),
                ("Hai Phong", "Binh Duong", "Dong Nai", "Bac Ninh", "Da Nang"), _VN,
                ("{} JSC", "{} Co., Ltd.")),
        Country("IN", 3, "USD", ("INNSA", "INMAA", "INMUN"),
                ("Pune", "Chennai", "Surat", "Ludhiana", "Coimbatore", "Rajkot"), _IN,
                ("{} Pvt. Ltd.",)),
        Country("TW", 3, "USD", ("TWKHH", "TWKEL", "TWTPE"),
                ("Hsinchu", "Taoyuan", "Taichung", "Kaohsiung", "Tainan"), _CN,
                ("{} Co., Ltd.", "{} Corp.")),
        Country("TH", 2, "USD", ("THLCH", "THBKK"),
                ("Chonburi", "Rayong", "Ayutthaya", "Samut Prakan", "Pathum Thani"), _TH,
                ("{} Co., Ltd.",)),
        Country("MY", 2, "USD", ("MYPKG", "MYTPP", "MYPEN"),
                ("Penang", "Johor", "Klang", "Ipoh", "Melaka"), _MY, ("{} Sdn. Bhd.",)),
        Country("SG", 2, "USD", ("SGSIN",), ("Jurong", "Tuas", "Changi", "Kallang"), _LATIN,
                ("{} Pte. Ltd.",)),
        Country("HK", 2, "USD", ("HKHKG",), ("Kowloon", "Tsuen Wan", "Kwun Tong", "Sha Tin"),
                _CN, ("{} Limited",)),
        Country("PL", 2, "EUR", ("PLGDN", "PLGDY"), ("Gdansk", "Poznan", "Lodz", "Wroclaw"),
                _LATIN, ("{} Sp. z o.o.",)),
        Country("ES", 2, "EUR", ("ESVLC", "ESALG", "ESBCN"), ("Valencia", "Zaragoza", "Bilbao"),
                _LATIN, ("{} S.L.",)),
        Country("CA", 2, "USD", ("CAVAN", "CAMTR"), ("Ontario", "Laurentian", "Fraser"),
                _LATIN, ("{} Inc.",)),
        Country("BR", 2, "USD", ("BRSSZ", "BRPNG"), ("Campinas", "Curitiba", "Joinville"),
                _LATIN, ("{} Ltda.",)),
        Country("TR", 2, "USD", ("TRAMB", "TRMER", "TRIZM"), ("Bursa", "Izmir", "Kocaeli"),
                _TR, ("{} A.S.", "{} Ltd. Sti.")),
        Country("AE", 2, "USD", ("AEJEA", "AEDXB"), ("Jebel Ali", "Sharjah", "Deira"), _LATIN,
                ("{} FZE", "{} LLC")),
        Country("ID", 2, "USD", ("IDJKT", "IDSUB"), ("Batam", "Surabaya", "Bekasi"), _MY,
                ("PT {}",)),
        Country("AU", 1, "USD", ("AUSYD", "AUMEL"), ("Sydney", "Victoria", "Hunter"), _LATIN,
                ("{} Pty Ltd",)),
        Country("CZ", 1, "EUR", ("CZPRG",), ("Brno", "Ostrava", "Plzen"), _DE, ("{} s.r.o.",)),
        Country("BD", 1, "USD", ("BDCGP",), ("Chattogram", "Gazipur", "Narayanganj"), _IN,
                ("{} Ltd.",)),
        Country("ZA", 1, "USD", ("ZADUR",), ("Durban", "Gauteng", "Cape"), _LATIN,
                ("{} (Pty) Ltd",)),
        Country("KZ", 0.5, "USD", ("KZALA",), ("Almaty", "Astana", "Karaganda"), _CA,
                ("{} LLP",)),
        Country("GE", 0.3, "USD", ("GEPTI",), ("Tbilisi", "Batumi", "Poti"), _CA, ("{} LLC",)),
        Country("AM", 0.3, "USD", ("AMEVN",), ("Yerevan", "Gyumri"), _CA, ("{} LLC",)),
        Country("KG", 0.2, "USD", ("KGFRU",), ("Bishkek", "Osh"), _CA, ("{} LLC",)),
        Country("UZ", 0.3, "USD", ("UZTAS",), ("Tashkent", "Samarkand"), _CA, ("{} LLC",)),
        # No ordinary trade in this world (weight 0); planted schemes deliver there.
        Country("RU", 0, "USD", ("RULED", "RUVVO"), ("Moskva", "Vladivostok", "Kazan"), _RU,
                ("OOO {}", "{} LLC")),
    )
}  # fmt: skip

EU = frozenset({"DE", "NL", "FR", "IT", "PL", "ES", "CZ"})  # no customs declarations inside
ROAD_NEIGHBOURS = frozenset({
    ("US", "MX"), ("MX", "US"), ("US", "CA"), ("CA", "US"), ("CN", "VN"), ("VN", "CN"),
    ("TH", "MY"), ("MY", "TH"), ("MY", "SG"), ("SG", "MY"), ("GB", "FR"), ("FR", "GB"),
    ("GB", "NL"), ("NL", "GB"), ("TR", "GE"), ("GE", "TR"), ("KZ", "KG"), ("KG", "KZ"),
    ("GE", "AM"), ("AM", "GE"), ("KZ", "UZ"), ("UZ", "KZ"), ("CN", "KZ"), ("KZ", "CN"),
})  # fmt: skip
# Long sea lanes from Asia are often transhipped in one of these (free ports, not controlled).
TRANSHIPMENT_PORTS = ("SG", "MY", "HK")
FAR_EAST = frozenset({"CN", "JP", "KR", "TW", "VN", "TH", "MY", "SG", "HK", "ID", "IN", "BD"})
# A company's bank or parent pays from here when the buyer does not pay itself.
TREASURY_CENTRES = ("HK", "SG", "NL", "US", "GB", "AE")

FX_TO_USD = {"USD": 1.0, "EUR": 1.08, "GBP": 1.27, "JPY": 0.0067, "CNY": 0.14}  # as policy.yaml
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY"})

# --- goods ---------------------------------------------------------------------------------

_RETAIL = "general"
GOODS: tuple[Goods, ...] = (
    # apparel and footwear
    Goods("tshirts", "6109100010", "men's T-shirts, knitted, 100 % cotton", "pcs", 0.2,
          (9, 30), (1500, 9000), "apparel", ("apparel", _RETAIL),
          ("CN", "VN", "IN", "BD", "TR"), 3),
    Goods("pullovers", "6110203000", "pullovers and cardigans, knitted, cotton", "pcs", 0.45,
          (10, 28), (1000, 7000), "apparel", ("apparel", _RETAIL),
          ("CN", "VN", "IT", "TR", "BD"), 2),
    Goods("shoes", "6403990000", "men's leather shoes, rubber soles", "pairs", 1.1, (14, 45),
          (1500, 6000), "apparel", ("apparel", _RETAIL), ("CN", "VN", "IT", "BR", "IN"), 2),
    # furniture
    Goods("tables", "9403600000", "solid wood dining tables", "pcs", 32.0, (3.5, 9),
          (3000, 12000), "furniture", ("furniture", _RETAIL), ("CN", "VN", "MY", "PL", "ID"), 2),
    Goods("chairs", "9401610000", "upholstered chairs, wooden frame", "pcs", 9.5, (5, 14),
          (2000, 8000), "furniture", ("furniture", _RETAIL), ("CN", "VN", "MY", "IT", "PL"), 2),
    Goods("shelving", "9403200000", "steel office shelving units, knocked down", "pcs", 24.0,
          (1.5, 4), (6000, 18000), "furniture", ("furniture", _RETAIL), ("CN", "VN", "MY"), 1),
    # vehicle parts
    Goods("brakes", "8708301000", "brake discs for passenger cars", "pcs", 7.8, (2.5, 7),
          (5000, 18000), "auto", ("auto",), ("DE", "JP", "MX", "US", "KR", "CN", "CZ", "ES"), 3),
    Goods("gearboxes", "8708404000", "gearbox assemblies for passenger cars", "pcs", 42.0,
          (12, 35), (3000, 15000), "auto", ("auto",), ("DE", "JP", "MX", "US", "KR", "CZ"), 2),
    Goods("body_parts", "8708299000", "pressed-steel body parts for passenger cars", "pcs", 6.0,
          (3, 9), (4000, 16000), "auto", ("auto",), ("DE", "JP", "MX", "KR", "CN", "IN", "PL"), 2),
    Goods("tyres", "4011100000", "new radial tyres for passenger cars", "pcs", 9.0, (3, 6),
          (6000, 16000), "auto", ("auto", _RETAIL), ("TH", "JP", "KR", "CN", "ID", "DE"), 2),
    # electronics (microcontrollers and memory fall under controlled HS headings, uncontrolled)
    Goods("phones", "8517130000", "smartphones, 5G, 128 GB", "pcs", 0.42, (350, 900),
          (800, 6000), "electronics", ("electronics", _RETAIL), ("CN", "VN", "IN", "KR"), 2),
    Goods("routers", "8517620000", "Wi-Fi routers and access points", "pcs", 0.7, (35, 110),
          (1500, 8000), "electronics", ("electronics", _RETAIL), ("CN", "VN", "MY", "TW"), 2),
    Goods("power_supplies", "8504403000", "switch-mode power supplies, 65 W", "pcs", 0.32,
          (18, 55), (1500, 9000), "electronics", ("electronics",),
          ("CN", "VN", "MY", "TW", "TH"), 2),
    Goods("notebooks", "8471300000", "notebook computers, 14 inch", "pcs", 2.3, (250, 520),
          (1000, 8000), "electronics", ("electronics", _RETAIL), ("CN", "VN", "TW"), 2),
    Goods("televisions", "8528720000", "LED television receivers, 55 inch", "pcs", 19.0,
          (15, 30), (4000, 12000), "electronics", ("electronics", _RETAIL),
          ("CN", "MX", "KR", "MY", "PL"), 2),
    Goods("mcus", "8542310000", "32-bit microcontrollers, ARM Cortex-M4, automotive grade",
          "pcs", 0.0005, (900, 4000), (20, 400), "semiconductors", ("electronics", "auto"),
          ("TW", "MY", "KR", "JP", "CN", "SG", "DE", "US"), 1.5),
    Goods("dram", "8542320000", "DDR5 DRAM memory chips, 16 Gb", "pcs", 0.001, (2000, 6000),
          (20, 300), "semiconductors", ("electronics",), ("KR", "TW", "JP", "CN", "SG", "MY"),
          1.2),
    # machinery
    Goods("transformers", "8504210000", "liquid dielectric distribution transformers, 630 kVA",
          "pcs", 1900.0, (6, 14), (3800, 19000), "machinery", ("machinery", "utilities"),
          ("DE", "IT", "KR", "CN", "IN", "TR"), 1),
    Goods("air_conditioners", "8415101000", "split-system air conditioners, 12000 BTU", "sets",
          38.0, (6, 12), (5000, 14000), "machinery", ("machinery", _RETAIL),
          ("CN", "TH", "KR", "MY"), 2),
    Goods("washing_machines", "8450111000", "fully automatic washing machines, 8 kg", "pcs",
          68.0, (3.5, 7), (6000, 14000), "machinery", (_RETAIL,), ("CN", "KR", "TH", "DE", "PL"),
          1),
    Goods("valves", "8481809000", "industrial ball valves, stainless steel", "pcs", 6.5,
          (12, 40), (1000, 8000), "machinery", ("machinery", "utilities"),
          ("DE", "IT", "CN", "US", "IN"), 2),
    Goods("pumps", "8413702000", "centrifugal water pumps, single stage", "pcs", 48.0,
          (8, 22), (2000, 10000), "machinery", ("machinery", "utilities"),
          ("DE", "IT", "CN", "US", "JP", "ES"), 1),
    # building materials (ceramic tiles are also what controlled goods hide behind)
    Goods("tiles", "6907210000", "glazed porcelain floor tiles, 60 x 60 cm", "m2", 21.0,
          (0.4, 1.3), (18000, 25000), "building", ("building", _RETAIL),
          ("CN", "IT", "IN", "BR", "ES", "TR"), 2),
    Goods("steel_structures", "7308900000", "prefabricated steel structures for warehouses",
          "kg", None, (1.2, 2.8), (12000, 24000), "building", ("building",),
          ("CN", "IN", "TR"), 1),
    # food
    Goods("coffee", "0901110000", "green coffee beans, arabica, not roasted", "kg", None,
          (3.5, 7.5), (18000, 21600), "food", ("food", _RETAIL), ("BR", "VN", "ID"), 2),
    Goods("rice", "1006309000", "milled long-grain rice in 25 kg bags", "kg", None,
          (0.7, 1.3), (20000, 25000), "food", ("food", _RETAIL), ("TH", "VN", "IN"), 2),
    Goods("wine", "2204210000", "red wine in 0.75 l bottles", "bottles", 1.3, (5, 20),
          (8000, 12000), "food", ("food", _RETAIL), ("FR", "IT", "ES", "AU", "ZA"), 2),
    Goods("pharma", "3004900000", "medicaments in measured doses, tablets", "packs", 0.06,
          (40, 250), (300, 3000), "pharma", ("pharma",), ("DE", "IN", "FR", "GB", "US", "IT"),
          2),
    # household goods
    Goods("toys", "9503007000", "plastic toys, assorted", "pcs", 0.35, (5, 14), (2000, 9000),
          "general", (_RETAIL,), ("CN", "VN"), 2),
    Goods("kitchenware", "3924100000", "plastic tableware and kitchenware", "kg", None,
          (2.5, 6), (3000, 12000), "general", (_RETAIL,), ("CN", "VN", "TH", "TR"), 2),
    # base metals and solder: ordinary trade, and the covers of misdeclared minerals
    Goods("zinc", "7901110000", "zinc ingots, unwrought, not alloyed, >= 99.99 % Zn", "kg",
          None, (2.4, 3.4), (8000, 22000), "metals", ("metals", "building"),
          ("CN", "KR", "AU", "IN"), 1.2),
    Goods("pig_iron", "7206100000", "iron ingots, non-alloy, for remelting", "kg", None,
          (0.4, 0.9), (18000, 25000), "metals", ("metals", "auto"), ("CN", "IN", "BR", "TR"),
          1),
    Goods("solder_paste", "3810900000", "lead-free solder paste, SAC305, in 500 g jars", "kg",
          None, (35, 90), (100, 1500), "chemicals", ("electronics",),
          ("CN", "JP", "US", "DE", "TW", "MY"), 1),
    # controlled goods, licensed (MOFCOM No. 18, China's Ga/Ge/Sb controls, BIS chips)
    Goods("ndfeb", "8505111000", "sintered NdFeB permanent magnets, grade N52", "kg", None,
          (45, 110), (200, 3000), "magnets", ("motors", "auto", "electronics"), ("CN",), 1.5,
          True),
    Goods("smco", "8505111000", "samarium-cobalt permanent magnets, Sm2Co17", "kg", None,
          (120, 260), (100, 1200), "magnets", ("motors",), ("CN",), 0.5, True),
    Goods("sm_oxide", "2846901940", "samarium oxide, Sm2O3 >= 99.9 %", "kg", None, (3, 9),
          (1000, 8000), "minerals", ("motors", "chemicals"), ("CN",), 0.4, True),
    Goods("gallium", "8112920000", "gallium, unwrought, 99.99 %", "kg", None, (250, 600),
          (100, 800), "minerals", ("semis",), ("CN", "JP", "DE"), 0.4, True),
    Goods("germanium_oxide", "2825600000", "germanium dioxide, GeO2 99.999 %", "kg", None,
          (1000, 2200), (50, 500), "minerals", ("semis",), ("CN",), 0.3, True),
    Goods("antimony", "8110101000", "antimony ingots, unwrought, 99.65 % Sb", "kg", None,
          (12, 40), (5000, 20000), "minerals", ("metals", "chemicals"), ("CN",), 0.4, True),
    Goods("gpus", "8542310000", "GPU accelerator modules, 80 GB HBM3, ECCN 3A090", "pcs", 1.6,
          (11000, 20000), (15, 150), "chips", ("compute",), ("TW", "KR", "US"), 0.5, True),
    Goods("servers", "8471500000", "rack servers, 8 GPU accelerators, ECCN 4A090", "pcs", 95.0,
          (1600, 3200), (400, 3800), "chips", ("compute",), ("TW", "US", "MX"), 0.5, True),
)  # fmt: skip
GOODS_BY_KEY = {g.key: g for g in GOODS}

# Line of business -> words that go into company names.
TRADE_WORDS: dict[str, tuple[str, ...]] = {
    "apparel": ("Knitwear", "Garment", "Textile", "Apparel", "Fashion", "Footwear"),
    "furniture": ("Furniture", "Woodcraft", "Interiors", "Furnishing"),
    "auto": ("Auto Parts", "Automotive", "Brake Systems", "Drivetrain", "Motor Components"),
    "electronics": ("Electronics", "Devices", "Digital", "Electronic Assembly"),
    "semiconductors": ("Semiconductor", "Microelectronics", "Chip Distribution"),
    "machinery": ("Machinery", "Engineering", "Industrial Equipment", "Pumps and Valves"),
    "utilities": ("Power Grid", "Water Works", "Energy Services"),
    "building": ("Building Materials", "Ceramics", "Steel Structures", "Construction Supply"),
    "food": ("Foods", "Agro", "Beverages", "Provisions"),
    "pharma": ("Pharma", "Healthcare", "Life Sciences", "Medical Supply"),
    "general": ("Trading", "Distribution", "Wholesale", "Retail", "Import Export"),
    "metals": ("Metals", "Nonferrous", "Alloys", "Metal Trading"),
    "chemicals": ("Chemicals", "Fine Chemicals", "Materials"),
    "magnets": ("Magnetics", "Magnet", "Permanent Magnet"),
    "minerals": ("Rare Metals", "Smelting", "Advanced Materials", "New Materials"),
    "chips": ("Computing", "Server Systems", "Accelerated Computing"),
    "motors": ("Motor", "Electric Drives", "Motion Control", "Actuators"),
    "semis": ("Optoelectronics", "Wafer", "Compound Semiconductor"),
    "compute": ("Data Centres", "Cloud Infrastructure", "AI Computing"),
    "forwarder": ("Logistics", "Freight", "Shipping Agency", "Forwarding"),
}
