"""Kinds of collectivité and the roles people speak for them in."""

KINDS = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "ccas": "CCAS / CIAS",
    "syndicat": "Syndicat intercommunal",
    "autre": "Autre établissement public",
}

# Kinds a facilitator may add by hand (communes and EPCI come from the reference data).
HAND_KINDS = ("ccas", "syndicat", "autre")

EPCI_TYPES = {
    "CC": "Communauté de communes",
    "CA": "Communauté d'agglomération",
    "CU": "Communauté urbaine",
    "METRO": "Métropole",
}

ROLES = {
    "elu": "Maire ou élu·e",
    "dgs": "DGS / secrétaire général·e",
    "secretaire": "Secrétaire de mairie",
    "rh": "Ressources humaines",
    "encadrant": "Encadrant·e",
    "agent": "Agent",
    "autre": "Autre",
}
