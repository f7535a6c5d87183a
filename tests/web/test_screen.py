import re
from html import unescape

import pytest

from tests import factories
from workshop.domain import codes
from workshop.schemas import SeanceSettings
from workshop.services import board, seances

NNBSP = "\u202f"  # French groups digits with a narrow no-break space: 1 234


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator))


def test_the_screen_shows_the_code_the_short_address_and_a_qr_code(client, seance):
    response = client.get(f"/ecran/{seance.screen_token}")
    assert response.status_code == 200
    page = unescape(response.get_data(as_text=True))
    assert f'<p class="welcome-code">{codes.display(seance.join_code)}</p>' in page
    assert '<p class="welcome-url">localhost/j</p>' in page
    svg = re.search(r'<div class="qr"[^>]*>(.*?)</div>', page, re.S).group(1)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>") and "<path" in svg
    assert f"QR code vers http://localhost/j/{seance.join_code}" in page
    assert "<img" not in page  # drawn inline: no image request


def test_the_qr_code_follows_the_public_address(app, client, seance):
    app.config["PUBLIC_URL"] = "https://atelier.example.fr"
    page = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert '<p class="welcome-url">atelier.example.fr/j</p>' in page
    assert f"QR code vers https://atelier.example.fr/j/{seance.join_code}" in page


def test_two_seances_have_two_qr_codes(client, db, facilitator, seance):
    other = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Autre"))
    pages = [client.get(f"/ecran/{s.screen_token}").get_data(as_text=True) for s in (seance, other)]
    qrs = [re.search(r"<svg.*?</svg>", p, re.S).group(0) for p in pages]
    assert qrs[0] != qrs[1]
    assert codes.display(other.join_code) in pages[1]
    assert codes.display(seance.join_code) not in pages[1]


def test_the_screen_shows_the_board_and_the_people(client, db, seance):
    factories.participant(db, seance, "Orchies")
    factories.participant(db, seance, "Orchies")
    factories.need(db, seance, "Gestes et postures", "hs-gestes-postures")
    hidden = factories.need(db, seance, "Hors sujet")
    board.set_hidden(db, seance, hidden.id, True, seance.owner_id)
    # The welcome: who joined (the needs wait for the recueil).
    page = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert "Orchies" in page and "participants" in page and "Gestes et postures" not in page
    factories.phase(db, seance, "recueil")
    page = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert "Gestes et postures" in page and "Hors sujet" not in page
    assert "2 participants · 1 collectivité · 1 besoin" in " ".join(page.split())
    # The way in stays on every phase, for latecomers.
    assert codes.display(seance.join_code) in page and "QR code vers" in page


def test_a_proxy_that_votes_is_said_apart_from_the_people_in_the_room(client, db, seance):
    """The room's count stays the people's (3, as the other phases and etat.json say); the
    proxy is said apart and its dots are possible too."""
    factories.phase(db, seance, "recueil")
    people = [factories.participant(db, seance, name) for name in ("Orchies", "Orchies", "Cysoing")]
    need = factories.need(db, seance, "Gestes et postures", "hs-gestes-postures")
    factories.phase(db, seance, "vote")
    factories.ok(board.vote(db, seance, people[0], need.id, 3))
    factories.ok(board.vote(db, seance, factories.proxy(db, seance, "Bachy"), need.id, 2))
    page = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert "1 participant sur 3 a voté · 1 saisie pour une collectivité · 5 gommettes sur 20" \
        in " ".join(re.sub(r"<[^>]+>", "", page).split())


def test_the_screen_shows_ranks_only_on_cards_in_rank_order(client, db, seance):
    """Back in the recueil after the results were shown, the cards return to their order of
    arrival: their rank badges (1, 6, 2, ...) went with them and read as a bug."""
    factories.phase(db, seance, "recueil")
    voter = factories.participant(db, seance, "Orchies")
    needs = [factories.need(db, seance, f"Besoin {i}") for i in range(3)]
    factories.phase(db, seance, "vote")
    factories.ok(board.vote(db, seance, voter, needs[2].id, 3))
    factories.ok(board.vote(db, seance, voter, needs[0].id, 1))
    factories.ok(seances.update_settings(db, seance, SeanceSettings(
        dot_budget=5, max_dots_per_need=3, weighting="participant", tallies_visible=True),
        seance.owner_id))

    def ranks() -> list[str]:
        page = client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True)
        return re.findall(r'<p class="screen-rank"><span class="sr-only">rang </span>(\d+)</p>',
                          page)

    assert ranks() == ["1", "2"]  # the vote, tallies shown: cards ranked, badges in order
    factories.phase(db, seance, "recueil")
    assert ranks() == []  # oldest first again: no badge


def test_the_vote_says_who_voted_and_the_results_are_a_ranked_chart(client, db, seance):
    factories.phase(db, seance, "recueil")
    people = [factories.participant(db, seance, name) for name in ("Orchies", "Orchies", "Cysoing")]
    first = factories.need(db, seance, "Gestes et postures", "hs-gestes-postures")
    second = factories.need(db, seance, "Accueil des publics")
    factories.phase(db, seance, "vote")
    factories.ok(board.vote(db, seance, people[0], first.id, 3))
    factories.ok(board.vote(db, seance, people[2], second.id, 1))
    page = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert "2 participants sur 3 ont voté · 4 gommettes sur 15" in " ".join(
        re.sub(r"<[^>]+>", "", page).split())
    factories.ok(seances.update_settings(db, seance, SeanceSettings(
        dot_budget=5, max_dots_per_need=3, weighting="participant", tallies_visible=True),
        seance.owner_id))
    factories.phase(db, seance, "resultats")
    page = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    bars = re.findall(r'<span class="chart-title">([^<]+)</span>.*?<rect class="fill" width="([\d.]+)"',
                      page, re.S)
    assert bars == [("Gestes et postures", "100.0"), ("Accueil des publics", "33.3")]
    assert "Score : nombre de gommettes" in page


def test_a_wrong_screen_token_is_not_found(client, seance):
    for token in ("pas-le-bon", seance.screen_token[:-1], seance.join_code,
                  seance.screen_token + "x" * 64):
        response = client.get(f"/ecran/{token}")
        assert response.status_code == 404
        assert "Cette page n'existe pas" in unescape(response.get_data(as_text=True))


def test_figures_are_written_the_way_each_language_writes_them(client, db, facilitator):
    """1 234 agents and a score of 1,5 in French; 1,234 and 1.5 in English."""
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator),
                              weighting="collectivite")
    factories.ok(seances.update_settings(db, seance, SeanceSettings(
        dot_budget=5, max_dots_per_need=3, weighting="collectivite", tallies_visible=True),
        facilitator.id))
    factories.phase(db, seance, "recueil")
    first, second = factories.participant(db, seance), factories.participant(db, seance)
    need = factories.need(db, seance, "Gestion des conflits", "mgt-encadrement-proximite")
    other = factories.need(db, seance, "Accueil des publics", "acc-accueil-public")
    factories.ok(board.declare(db, seance, first, need.id, 2027, 1234))
    factories.phase(db, seance, "vote")
    factories.ok(board.vote(db, seance, first, need.id, 3))  # two voters of Orchies: 3 weighs 1.5
    factories.ok(board.vote(db, seance, second, other.id, 2))

    french = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert f"1{NNBSP}234 agents" in french and "score pondéré 1,5" in french
    client.get("/langue/en")
    english = unescape(client.get(f"/ecran/{seance.screen_token}").get_data(as_text=True))
    assert "1,234 staff members" in english and "weighted score 1.5" in english
