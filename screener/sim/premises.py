"""Where companies sit and what kind of business they are, beyond their line of goods.

Two facts the screener's consignee red flags read, modelled on both sides of the ledger:

- Free-trade zones. A share of the companies of a country sit in one (Jebel Ali, Penang's
  free industrial zones, Indian SEZs, export processing zones in Vietnam). The shares are
  rough guesses from what the zones report (in the UAE about half of the trading firms are
  free-zone establishments, "FZE"); elsewhere a few per cent to 15 %. Shells set up for
  diversion take a free-zone desk more often than that (`SHELL_ZONE_SHARE`).
- Intermediaries. Controlled goods are also bought by distributors and trading houses for
  their stock (a fifth to a quarter of chip and metal sales go through distribution), and a
  few importers are logistics companies clearing goods for others. `intermediary` renames
  a share of the buyers of each line of business accordingly.

Each company draws these from a generator seeded by its own name, so the rest of the world
and of the stream is drawn exactly as without them.
"""

from __future__ import annotations

import random

# country -> (share of its companies in a free zone, zone names as they appear in addresses)
FREE_ZONES: dict[str, tuple[float, tuple[str, ...]]] = {
    "AE": (0.5, ("Jebel Ali Free Zone (JAFZA)", "Dubai Airport Free Zone", "DMCC Free Zone",
                 "Sharjah Airport International Free Zone", "Hamriyah Free Zone")),
    "SG": (0.1, ("Changi Airport Free Trade Zone", "Keppel Distripark Free Trade Zone",
                 "Jurong Port Free Trade Zone")),
    "MY": (0.15, ("Bayan Lepas Free Industrial Zone", "Port Klang Free Zone",
                  "Senai Free Industrial Zone")),
    "TH": (0.08, ("Laem Chabang Free Zone", "Suvarnabhumi Airport Free Zone")),
    "VN": (0.1, ("Tan Thuan Export Processing Zone", "Linh Trung Export Processing Zone")),
    "MX": (0.05, ("Recinto Fiscalizado Estrategico Free Zone",)),
    "TR": (0.05, ("Aegean Free Zone", "Mersin Free Zone", "Istanbul Industry and Trade Free Zone")),
    "KZ": (0.05, ("Khorgos Eastern Gate Special Economic Zone",)),
    "GE": (0.1, ("Poti Free Industrial Zone", "Tbilisi Free Zone")),
    "AM": (0.05, ("Meridian Free Economic Zone",)),
    "IN": (0.1, ("Santacruz Electronics Export Processing Zone", "Sri City Special Economic Zone",
                 "Madras Export Processing Zone")),
    "CN": (0.03, ("Waigaoqiao Free Trade Zone", "Qianhai Free Trade Zone")),
    "KR": (0.03, ("Incheon Free Economic Zone",)),
    "PL": (0.05, ("Katowice Special Economic Zone", "Lodz Special Economic Zone")),
    "US": (0.02, ("Foreign Trade Zone No. 49", "Foreign Trade Zone No. 18")),
}  # fmt: skip
SHELL_ZONE_SHARE = 0.5  # of shells in a country with free zones

# line of business -> (share of its buyers that are distributors or traders, their words)
INTERMEDIARIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "electronics": (0.25, ("Electronic Components Trading", "Components Distribution")),
    "semis": (0.2, ("Semiconductor Distribution", "Materials Trading")),
    "compute": (0.2, ("IT Distribution", "Systems Trading")),
    "metals": (0.2, ("Metals Import Export", "Metals Distribution")),
    "chemicals": (0.2, ("Chemicals Trading", "Chemicals Distribution")),
    "motors": (0.1, ("Industrial Supply Trading", "Motion Distribution")),
    "auto": (0.1, ("Auto Parts Trading", "Auto Parts Distribution")),
}
LOGISTICS_SHARE = 0.02  # importers of record that are logistics companies
LOGISTICS_WORDS = ("Logistics", "Supply Chain Services")


def _rng(*parts: str) -> random.Random:
    return random.Random(":".join(("premises", *parts)))


def in_free_zone(name: str, country: str) -> bool:
    """Whether this company sits in a free zone; in the UAE its legal form (FZE) says so."""
    if country == "AE":
        return name.endswith(" FZE")
    share = FREE_ZONES.get(country, (0.0, ()))[0]
    return _rng("zone", name).random() < share


def zone_address(name: str, country: str) -> str:
    rng = _rng("address", name)
    unit = f"Unit {rng.randint(1, 40)}{rng.choice('ABCDEF')}-{rng.randint(1, 60):02d}"
    return f"{unit}, {rng.choice(FREE_ZONES[country][1])}, {country}"


def shell_zone(agent_address: str, country: str) -> str | None:
    """The free zone of a formation agent's desk, or None (a city office)."""
    if country not in FREE_ZONES or _rng("shell", agent_address).random() >= SHELL_ZONE_SHARE:
        return None
    return _rng("shell-zone", agent_address).choice(FREE_ZONES[country][1])


def intermediary(name: str, trade: str, trade_words: tuple[str, ...]) -> str:
    """The name of a buyer, as a distributor, trading house or logistics company when it is
    one (the word of its line of business replaced), otherwise unchanged."""
    rng = _rng("intermediary", name)
    share, words = INTERMEDIARIES.get(trade, (0.0, ()))
    draw = rng.random()
    if draw < LOGISTICS_SHARE:
        words = LOGISTICS_WORDS
    elif draw >= LOGISTICS_SHARE + share:
        return name
    own = next((w for w in sorted(trade_words, key=len, reverse=True) if w in name), None)
    if own is None:
        return name
    return name.replace(own, rng.choice(words), 1)
