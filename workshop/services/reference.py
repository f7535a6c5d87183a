"""Loaders for the reference data in seeds/: check first, then insert; a rerun is safe."""

import json
import tomllib
from collections import Counter
from pathlib import Path

from sqlmodel import Session, select

from workshop.domain.planning import theme_problems
from workshop.domain.text import search_key
from workshop.models import Collectivite, EpciMember, Theme

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
THEME_FIELDS = ("name", "domain", "threshold", "max_group", "days", "financing",
                "financing_reason", "recurrence_years", "poolable", "synonyms")
# Fields added later, with the value a catalogue without them means.
THEME_DEFAULTS = {"kind": "perfectionnement", "cost_per_day": 0, "renewal_days": 0}


class SeedError(ValueError):
    """The seed file is not what the loader expects; nothing was written."""


def load_territories(db: Session, path: Path = SEEDS / "territories.json") -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    communes, epcis = data["communes"], data["epci"]
    commune_codes = {c["code"] for c in communes}
    for epci in epcis:
        unknown = set(epci["membres"]) - commune_codes
        if unknown:
            raise SeedError(f"EPCI {epci['code']}: unknown member communes {sorted(unknown)}")

    communes_by_code = {c["code"]: c for c in communes}
    existing = {c.code: c for c in db.exec(select(Collectivite).where(Collectivite.code.is_not(None)))}
    added = 0
    for c in communes:
        row = existing.get(c["code"])
        postcodes = " ".join(c["codes_postaux"])
        if row is None:
            row = Collectivite(code=c["code"], kind="commune")
            db.add(row)
            existing[c["code"]] = row
            added += 1
        row.name, row.departement = c["nom"], c["departement"]
        row.postcodes, row.population = postcodes, c["population"]
        row.search_key = search_key(c["nom"], postcodes)
    for e in epcis:
        row = existing.get(e["code"])
        if row is None:
            row = Collectivite(code=e["code"], kind="epci")
            db.add(row)
            existing[e["code"]] = row
            added += 1
        row.name, row.epci_type = e["nom"], e["type"]
        row.departement = _main_departement(e["membres"], communes_by_code)
        row.search_key = search_key(e["nom"], " ".join(e["departements"]))
    db.flush()

    members = set(db.exec(select(EpciMember.epci_id, EpciMember.commune_id)).all())
    for e in epcis:
        epci_id = existing[e["code"]].id
        for code in e["membres"]:
            pair = (epci_id, existing[code].id)
            if pair not in members:
                db.add(EpciMember(epci_id=pair[0], commune_id=pair[1]))
                members.add(pair)
    db.commit()
    return {"communes": len(communes), "epci": len(epcis), "added": added}


def _main_departement(members: list[str], communes_by_code: dict) -> str | None:
    """Where most of an EPCI's communes are; None when it straddles evenly (CC Flandre Lys)."""
    counts = Counter(communes_by_code[m]["departement"] for m in members).most_common(2)
    if len(counts) > 1 and counts[0][1] == counts[1][1]:
        return None
    return counts[0][0]


def load_themes(db: Session, path: Path = SEEDS / "themes.toml") -> dict:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    themes = data.get("theme", [])
    codes = [t.get("code") for t in themes]
    if len(set(codes)) != len(codes) or None in codes:
        raise SeedError("themes.toml: every theme needs a unique code")
    problems = []
    for t in themes:
        missing = [f for f in THEME_FIELDS if f not in t]
        if missing:
            raise SeedError(f"themes.toml: theme {t['code']} lacks {missing}")
        for field, default in THEME_DEFAULTS.items():
            t.setdefault(field, default)
        # The same check as the engine's ThemeRule: a theme the plan could not use is refused.
        problems += theme_problems(t["code"], t["threshold"], t["max_group"], t["days"],
                                   t["financing"], t["recurrence_years"], t["kind"],
                                   t["cost_per_day"], t["renewal_days"])
        if not isinstance(t["poolable"], bool):
            problems.append(f"thème {t['code']}, champ poolable : {t['poolable']!r} (true ou false)")
    if problems:
        raise SeedError("themes.toml : " + " ; ".join(problems))

    existing = {t.code: t for t in db.exec(select(Theme))}
    added = 0
    for t in themes:
        row = existing.get(t["code"])
        if row is None:
            row = Theme(code=t["code"])
            db.add(row)
            added += 1
        for field in (*THEME_FIELDS, *THEME_DEFAULTS):
            setattr(row, field, t[field])
        row.active = True
    # A theme dropped from the catalogue stays for the needs that use it, inactive.
    for code, row in existing.items():
        if code not in codes:
            row.active = False
    db.commit()
    return {"themes": len(themes), "added": added}
