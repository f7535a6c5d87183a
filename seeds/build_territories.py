#!/usr/bin/env python3
"""Build seeds/territories.json (Nord 59 and Pas-de-Calais 62) from a pinned npm package.

Source: the npm package @etalab/decoupage-administratif, pinned at 6.0.0.
The data is INSEE's Code officiel geographique (COG) redistributed by Etalab
under the Licence Ouverte 2.0; the package code is under the MIT licence.

Usage:
    python seeds/build_territories.py

Steps: `npm pack` the pinned version into a temp dir, verify the tarball's
sha512 integrity against the value recorded below (and against `npm view`
when the registry answers), read package/data/communes.json and
package/data/epci.json straight from the tarball, filter, run the checks,
and only then write seeds/territories.json. Any failed check exits non-zero
and leaves the existing output untouched.

A kept EPCI may have a member commune outside 59/62 (CC du Ternois has
Vitz-sur-Authie, Somme): such communes are kept too, so that a perimeter
built from that EPCI holds all of it; the per-department counts ignore them.

Stdlib only, Python 3.11.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

PACKAGE = "@etalab/decoupage-administratif"
VERSION = "6.0.0"
# From `npm view @etalab/decoupage-administratif@6.0.0 dist --json`.
INTEGRITY = (
    "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
)
SHASUM = "0330556cf07e21fff21111e5775a316ec18b9636"

DEPARTEMENTS = ("59", "62")
EXPECTED_COMMUNES = {"59": 647, "62": 887}
EXPECTED_EPCI = {"59": 17, "62": 20}
CROSS_BORDER_EPCI = "CC Flandre Lys"  # must span both 59 and 62

OUTPUT = Path(__file__).resolve().parent / "territories.json"

# The EPCI names of the source are typed without the ligature ("CA Coeur de Flandre")
# while the communes' names carry it ("Crèvecœur-sur-l'Escaut"): French spelling wants
# "œ" in these words, so the EPCI names are given it here.
LIGATURES = re.compile(r"\b([Cc])oeur|\b([Ss])oeur|\b([Vv])oeu|\b([Oo])euvre")


def with_ligatures(name: str) -> str:
    """"CC Coeur de l'Avesnois" -> "CC Cœur de l'Avesnois" (only the words listed above)."""
    def join(m: re.Match) -> str:
        word = m.group(0)
        return word.replace("oe", "œ").replace("Oe", "Œ")

    return LIGATURES.sub(join, name)

SOURCE = {
    "package": PACKAGE,
    "version": VERSION,
    "licence_data": "Licence Ouverte 2.0 (INSEE COG)",
    "licence_code": "MIT",
}


def fail(msg: str) -> None:
    sys.exit(f"build_territories: FAILED: {msg}")


def npm(args: list[str], cwd: str) -> str:
    try:
        proc = subprocess.run(
            ["npm", *args], cwd=cwd, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        fail("npm is not installed or not on PATH")
    if proc.returncode != 0:
        fail(f"`npm {' '.join(args)}` exited {proc.returncode}:\n{proc.stderr}")
    return proc.stdout


def fetch_tarball(workdir: str) -> Path:
    """npm pack the pinned version and verify its integrity."""
    spec = f"{PACKAGE}@{VERSION}"
    out = npm(["pack", spec, "--json"], workdir)
    filename = json.loads(out)[0]["filename"]
    tarball = Path(workdir) / filename
    data = tarball.read_bytes()

    sha512 = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    sha1 = hashlib.sha1(data).hexdigest()
    if sha512 != INTEGRITY or sha1 != SHASUM:
        fail(
            f"tarball integrity mismatch for {spec}:\n"
            f"  got      {sha512} / {sha1}\n  expected {INTEGRITY} / {SHASUM}"
        )
    # Cross-check against what the registry publishes (redundant with the
    # pinned constants, but catches a stale constant being edited by hand).
    view = json.loads(npm(["view", spec, "dist", "--json"], workdir))
    if view.get("integrity") != INTEGRITY:
        fail(f"npm view reports integrity {view.get('integrity')!r}, expected {INTEGRITY!r}")
    return tarball


def read_json_member(tar: tarfile.TarFile, name: str):
    member = tar.getmember(name)  # KeyError if absent: loud enough
    fh = tar.extractfile(member)
    if fh is None:
        fail(f"{name} is not a regular file in the tarball")
    return json.load(fh)


def build() -> dict:
    with tempfile.TemporaryDirectory(prefix="territories-") as workdir:
        tarball = fetch_tarball(workdir)
        with tarfile.open(tarball, "r:gz") as tar:
            pkg = read_json_member(tar, "package/package.json")
            all_communes = read_json_member(tar, "package/data/communes.json")
            all_epci = read_json_member(tar, "package/data/epci.json")
    if pkg.get("version") != VERSION:
        fail(f"package.json says version {pkg.get('version')!r}, expected {VERSION!r}")

    errors: list[str] = []
    warnings: list[str] = []

    # Current communes only (drop arrondissement-municipal, commune-deleguee,
    # commune-associee, which share codes with current communes).
    current = {c["code"]: c for c in all_communes if c["type"] == "commune-actuelle"}
    n_current = sum(1 for c in all_communes if c["type"] == "commune-actuelle")
    if n_current != len(current):
        errors.append("duplicate codes among current communes")

    in_departements = {code for code, c in current.items() if c["departement"] in DEPARTEMENTS}
    kept_epci = [e for e in all_epci if any(m["code"] in in_departements for m in e["membres"])]
    cross_border = {m["code"] for e in kept_epci for m in e["membres"]} - in_departements
    communes = []
    for code in sorted(in_departements | (cross_border & current.keys())):
        c = current[code]
        missing = [k for k in ("nom", "codesPostaux", "population") if k not in c]
        if missing:
            errors.append(f"commune {code} lacks {missing}")
            continue
        communes.append(
            {
                "code": code,
                "nom": c["nom"],
                "departement": c["departement"],
                "codes_postaux": sorted(c["codesPostaux"]),
                "population": c["population"],
            }
        )
    kept = {c["code"] for c in communes}

    epci = []
    for e in kept_epci:
        members = sorted(m["code"] for m in e["membres"])
        unknown = [m for m in members if m not in current]
        if unknown:
            errors.append(f"EPCI {e['code']} {e['nom']}: members not current communes: {unknown}")
        depts = sorted({current[m]["departement"] for m in members if m in current})
        epci.append(
            {
                "code": e["code"],
                "nom": with_ligatures(e["nom"]),
                "type": e["type"],
                "departements": depts,
                "membres": members,
            }
        )
    epci.sort(key=lambda e: e["code"])

    # --- checks -----------------------------------------------------------
    for d in DEPARTEMENTS:
        n = sum(1 for c in communes if c["departement"] == d)
        if n != EXPECTED_COMMUNES[d]:
            errors.append(f"departement {d}: {n} communes, expected {EXPECTED_COMMUNES[d]}")
        n = sum(1 for e in epci if d in e["departements"])
        if n != EXPECTED_EPCI[d]:
            errors.append(f"departement {d}: {n} EPCI, expected {EXPECTED_EPCI[d]}")

    if len({e["code"] for e in epci}) != len(epci):
        errors.append("duplicate EPCI codes")

    cross = [e for e in epci if e["nom"] == CROSS_BORDER_EPCI]
    if len(cross) != 1:
        errors.append(f"expected exactly one EPCI named {CROSS_BORDER_EPCI!r}, found {len(cross)}")
    elif not set(DEPARTEMENTS) <= set(cross[0]["departements"]):
        errors.append(f"{CROSS_BORDER_EPCI} spans {cross[0]['departements']}, not both 59 and 62")

    for e in epci:
        for m in e["membres"]:
            if m not in kept:
                errors.append(f"EPCI {e['code']} {e['nom']} has member {m}, not a kept commune")
    for code in sorted(cross_border):
        c = current[code]
        warnings.append(f"kept {code} {c['nom']} (departement {c['departement']}), member of a kept EPCI")

    membership: dict[str, list[str]] = defaultdict(list)
    for e in epci:
        for m in e["membres"]:
            membership[m].append(e["code"])
    for c in communes:
        owners = membership.get(c["code"], [])
        if len(owners) != 1:
            errors.append(f"commune {c['code']} {c['nom']} belongs to {len(owners)} kept EPCI: {owners}")

    for w in warnings:
        print(f"build_territories: note: {w}", file=sys.stderr)
    if errors:
        fail(f"{len(errors)} check(s) failed, {OUTPUT.name} not written:\n  " + "\n  ".join(errors))

    return {"source": SOURCE, "communes": communes, "epci": epci}


def dump(doc: dict) -> str:
    """JSON with one commune / one EPCI per line, for readable diffs."""

    def line(obj) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))

    parts = ["{", f' "source": {line(doc["source"])},']
    for key, last in (("communes", False), ("epci", True)):
        items = doc[key]
        parts.append(f' "{key}": [')
        parts.extend(f"  {line(x)}{',' if i < len(items) - 1 else ''}" for i, x in enumerate(items))
        parts.append(" ]" + ("" if last else ","))
    parts.append("}")
    text = "\n".join(parts) + "\n"
    if json.loads(text) != doc:  # guard the hand-rolled layout
        fail("serialisation round-trip mismatch")
    return text


def main() -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    doc = build()
    text = dump(doc)
    tmp = OUTPUT.with_suffix(".json.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, OUTPUT)

    by_type = Counter(e["type"] for e in doc["epci"])
    print(
        f"build_territories: wrote {OUTPUT} ({len(text.encode())} bytes): "
        f"{len(doc['communes'])} communes, {len(doc['epci'])} EPCI {dict(sorted(by_type.items()))}"
    )


if __name__ == "__main__":
    main()
