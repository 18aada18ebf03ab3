"""Generated customers: distributors, retail stores and consumers in several countries."""

import random
import re
import unicodedata
from dataclasses import dataclass

CUSTOMER_COLUMNS = ("id", "name", "kind", "email", "phone", "address", "country", "version")
COUNTRIES = {"US": 35, "CA": 8, "GB": 10, "FR": 15, "DE": 12, "NL": 5, "BE": 4, "ES": 5, "IT": 4, "CH": 2}
DIAL = {"US": "1", "CA": "1", "GB": "44", "FR": "33", "DE": "49", "NL": "31", "BE": "32", "ES": "34", "IT": "39"}
CITIES = {
    "US": ["Springfield", "Portland", "Madison", "Austin", "Columbus"],
    "CA": ["Toronto", "Montreal", "Calgary"],
    "GB": ["Leeds", "Bristol", "Glasgow"],
    "FR": ["Lyon", "Lille", "Nantes", "Bordeaux"],
    "DE": ["Köln", "Leipzig", "Hamburg"],
    "NL": ["Utrecht", "Eindhoven"],
    "BE": ["Gent", "Liège"],
    "ES": ["Valencia", "Sevilla"],
    "IT": ["Torino", "Bologna"],
    "CH": ["Basel", "Lausanne"],
}
REGIONS = (
    "Northwind Alpine Atlantic Baltic Cascade Coastal Delta Eastgate Frontier Golden Harbor Heartland Highland "
    "Lakeside Meridian Midland Northern Pacific Prairie Riverside Summit Valley Western Bayside Pinecrest"
).split()
TRADES = "Foods Provisions Grocers Supply Trading Pantry Fresh Natural Harvest Cereal".split()
SUFFIXES = ("Distribution", "Wholesale", "Logistics", "Distributors", "Cash & Carry", "Imports", "Depot", "Partners")
CHAINS = (
    "Fresh Mart",
    "Corner Grocer",
    "ValueMart",
    "BioMarkt",
    "Green Basket",
    "Daily Pantry",
    "Market Square",
    "Super Frais",
    "Hofladen",
    "Family Foods",
    "QuickStop",
    "Oat & Co",
)
FIRST = "Jane John Maria Luca Emma Noah Sofia Liam Chloé Lukas Anna Tom Sara Ben Inès Jonas Mia Leo Eva Omar".split()
LAST = "Doe Smith Rossi Martin Müller Garcia Jansen Dubois Brown Novak Peeters Silva Klein Moreau Weber".split()


@dataclass
class Consignees:
    shippable: list[int]  # ids of distributors and retailers (who receive shipments)
    cum_weights: list[float]  # cumulative draw weights over `shippable`
    consumers: list[int]


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _country(rng: random.Random) -> str:
    return rng.choices(list(COUNTRIES), weights=list(COUNTRIES.values()))[0]


def _name(kind: str, n: int, rng: random.Random, taken: set[str], store_numbers: dict[str, int]) -> tuple[str, str]:
    """A unique customer name and the email domain part that goes with it."""
    if kind == "retailer":
        chain = CHAINS[rng.randrange(len(CHAINS))]
        name = ""
        while not name or name in taken:  # store numbers only grow, so this ends
            store_numbers[chain] = store_numbers.get(chain, 0) + rng.randint(1, 7)
            name = f"{chain} #{store_numbers[chain]}"
        return name, f"store{store_numbers[chain]}@{_slug(chain)}.example"
    if kind == "distributor":
        name = f"{rng.choice(REGIONS)} {rng.choice(TRADES)} {rng.choice(SUFFIXES)}"
        base = _slug(name)
        email = f"recalls@{base}.example"
    else:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        name = f"{first} {last}"
        email = f"{_slug(first)}.{_slug(last)}{n}@example.org"
    unique, k = name, 1
    while unique in taken:
        k += 1
        unique = f"{name} ({k})"
    return unique, email


def generate(count: int, rng: random.Random, first_id: int = 1, taken: set[str] | None = None) -> list[tuple]:
    """`count` customer rows: about 4% distributors, 30% consumers, the rest retail stores."""
    distributors = max(3, round(count * 0.04))
    consumers = max(3, round(count * 0.3))
    kinds = ["distributor"] * distributors + ["consumer"] * consumers
    kinds += ["retailer"] * (count - len(kinds))
    taken = set(taken or ())
    stores: dict[str, int] = {}
    rows = []
    for i, kind in enumerate(kinds):
        name, email = _name(kind, i, rng, taken, stores)
        taken.add(name)
        country = _country(rng)
        has_email = rng.random() < 0.85  # some stores and consumers only ever gave a phone number
        phone = f"+{DIAL.get(country, '41')} 555 {rng.randint(100000, 999999)}" if rng.random() < 0.7 else None
        city = rng.choice(CITIES[country])
        address = f"{rng.randint(1, 240)} Market Street, {city}" if kind != "consumer" else None
        rows.append((first_id + i, name, kind, email if has_email else None, phone, address, country, 1))
    return rows


def receivers(rows: list[tuple], rng: random.Random) -> Consignees:
    """Who receives shipments, with skewed weights: a few distributors take most of the volume."""
    out = Consignees([], [], [])
    total = 0.0
    for row in rows:
        cid, kind = row[0], row[2]
        if kind == "consumer":
            out.consumers.append(cid)
            continue
        weight = rng.paretovariate(1.2) * (40 if kind == "distributor" else 1)
        total += min(weight, 2000.0)
        out.shippable.append(cid)
        out.cum_weights.append(total)
    return out
