"""The phases of a séance, in order (DOMAIN.md, 'The session, phase by phase')."""

PHASES = ("accueil", "recueil", "regroupement", "vote", "resultats", "plan")

LABELS = {
    "accueil": "Accueil",
    "recueil": "Recueil des besoins",
    "regroupement": "Regroupement",
    "vote": "Vote",
    "resultats": "Résultats",
    "plan": "Plan prospectif",
}
