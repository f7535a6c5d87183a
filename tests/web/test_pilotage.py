import re
from html import unescape

import pytest
from sqlmodel import select

from tests import factories
from workshop.domain import codes
from workshop.models import Need, Participant, Seance
from workshop.services import board


@pytest.fixture
def seance(db, facilitator):
    return factories.seance(db, facilitator, factories.perimetre(db, facilitator))


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def fresh(db, seance) -> Seance:
    db.expire_all()
    return db.get(Seance, seance.id)


def kinds(db, seance):
    return [e.kind for e in factories.events(db, seance)]


SETTINGS = {"dot_budget": "5", "max_dots_per_need": "3", "weighting": "participant",
            "tallies_visible": "false"}


def test_the_pilotage_page(logged_in, seance):
    response = logged_in.get(f"/seances/{seance.id}/pilotage")
    assert response.status_code == 200
    page = text(response)
    assert seance.title in page and codes.display(seance.join_code) in page
    assert "Recueil des besoins" in page


def test_change_phase(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/phase", data={"phase": "vote"})
    assert response.status_code == 200
    assert "Phase : Vote." in text(response)
    assert fresh(db, seance).phase == "vote"
    [event] = factories.events(db, seance, "seance.phase")
    assert event.payload == {"phase": "vote", "previous": "accueil"}


def test_an_unknown_phase_is_refused(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/phase", data={"phase": "pause"})
    assert response.status_code == 422
    assert "Phase inconnue." in text(response)
    assert fresh(db, seance).phase == "accueil"
    assert factories.events(db, seance, "seance.phase") == []


def test_save_settings(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/reglages",
                              data={**SETTINGS, "dot_budget": "8", "weighting": "collectivite"})
    assert response.status_code == 200 and "Réglages enregistrés." in text(response)
    stored = fresh(db, seance)
    assert (stored.dot_budget, stored.max_dots_per_need, stored.weighting) == (8, 3, "collectivite")


def test_more_dots_per_need_than_the_budget_is_refused(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/reglages",
                              data={**SETTINGS, "dot_budget": "2", "max_dots_per_need": "4"})
    assert response.status_code == 422
    assert "Le nombre maximal de gommettes par besoin ne peut pas dépasser le budget." in text(response)
    stored = fresh(db, seance)
    assert (stored.dot_budget, stored.max_dots_per_need) == (5, 3)
    assert factories.events(db, seance, "seance.settings") == []


def test_invalid_settings_are_refused_in_french(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/reglages",
                              data={**SETTINGS, "dot_budget": "beaucoup"})
    assert response.status_code == 422
    assert "Entrez un nombre entier." in text(response)
    assert fresh(db, seance).dot_budget == 5


def test_reveal_and_hide_the_tallies(logged_in, db, seance):
    factories.phase(db, seance, "vote")
    response = logged_in.post(f"/seances/{seance.id}/reglages", data={"tallies_visible": "true"})
    assert response.status_code == 200
    assert fresh(db, seance).tallies_visible
    assert "Résultats révélés." in text(response) and "Masquer les résultats" in text(response)
    response = logged_in.post(f"/seances/{seance.id}/reglages", data={"tallies_visible": "false"})
    assert not fresh(db, seance).tallies_visible
    assert "Résultats masqués." in text(response) and "Révéler les résultats" in text(response)


def revision_of(response) -> str:
    return re.search(r'data-revision="(\d+)"', response.get_data(as_text=True)).group(1)


def test_the_tallies_toggle_writes_only_the_tallies(logged_in, db, seance):
    """Issue 14, item 6: page A, loaded earlier, toggles the tallies after page B set
    budget 10 / max 4: the séance keeps 10 / 4."""
    factories.phase(db, seance, "vote")
    page_a = logged_in.get(f"/seances/{seance.id}/pilotage")
    b = logged_in.post(f"/seances/{seance.id}/reglages", data={
        "dot_budget": "10", "max_dots_per_need": "4", "weighting": "participant",
        "revision": revision_of(page_a)})
    assert b.status_code == 200
    toggled = logged_in.post(f"/seances/{seance.id}/reglages",
                             data={"tallies_visible": "true", "revision": revision_of(b)})
    assert toggled.status_code == 200
    stored = fresh(db, seance)
    assert (stored.dot_budget, stored.max_dots_per_need, stored.tallies_visible) == (10, 4, True)


def test_a_change_based_on_a_stale_state_is_refused_with_the_fresh_state(logged_in, db, seance):
    factories.phase(db, seance, "vote")
    stale = revision_of(logged_in.get(f"/seances/{seance.id}/pilotage"))
    assert logged_in.post(f"/seances/{seance.id}/reglages", data={
        "dot_budget": "10", "max_dots_per_need": "4", "revision": stale}).status_code == 200
    events_before = len(factories.events(db, seance))
    for path, data in (("/reglages", {"dot_budget": "6", "max_dots_per_need": "2"}),
                       ("/phase", {"phase": "resultats"}), ("/minuteur", {"minutes": "3"}),
                       ("/minuteur/plus", {}), ("/cloture", {"closed": "1"}),
                       ("/reglages", {"tallies_visible": "true", "revision": "x"})):
        response = logged_in.post(f"/seances/{seance.id}{path}", data={"revision": stale, **data})
        assert response.status_code == 422, path
        assert "Un autre animateur vient de modifier la séance" in text(response)
        assert 'value="10"' in response.get_data(as_text=True)  # the fresh budget, re-rendered
    stored = fresh(db, seance)
    assert (stored.dot_budget, stored.max_dots_per_need, stored.phase) == (10, 4, "vote")
    assert stored.timer_ends_at is None and stored.closed_at is None and not stored.tallies_visible
    assert len(factories.events(db, seance)) == events_before


def test_the_controls_follow_the_phase(logged_in, db, seance):
    page = text(logged_in.get(f"/seances/{seance.id}/pilotage"))
    assert "Phase 1 sur 6" in page and "Phase suivante" in page
    assert "Révéler les résultats" not in page and "Clore la séance" not in page
    assert "État (JSON)" not in page.split("Phase 1 sur 6")[0]  # not among the main actions
    factories.phase(db, seance, "vote")
    page = text(logged_in.get(f"/seances/{seance.id}/pilotage"))
    assert "Révéler les résultats" in page and "max. par besoin" in page
    factories.phase(db, seance, "resultats")
    page = text(logged_in.get(f"/seances/{seance.id}/pilotage"))
    assert "Clore la séance" in page and "max. par besoin" not in page
    assert "Vote : 5 gommettes, 3 au plus par besoin." in page


def test_timer_one_more_minute_and_the_field_shows_the_running_timer(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/minuteur", data={"minutes": "3"})
    assert 'name="minutes" type="number" min="0" max="240" value="3"' in response.get_data(as_text=True)
    ends = fresh(db, seance).timer_ends_at
    response = logged_in.post(f"/seances/{seance.id}/minuteur/plus")
    assert response.status_code == 200 and "Une minute de plus." in text(response)
    assert (fresh(db, seance).timer_ends_at - ends).total_seconds() == 60
    assert 'value="4"' in response.get_data(as_text=True)
    assert "Arrêter" in text(response)


def test_timer_start_and_stop(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/minuteur", data={"minutes": "7"})
    assert response.status_code == 200 and "Minuteur lancé." in text(response)
    assert fresh(db, seance).timer_ends_at is not None
    assert "data-countdown" in text(response)
    response = logged_in.post(f"/seances/{seance.id}/minuteur", data={"minutes": "0"})
    assert "Minuteur arrêté." in text(response)
    assert fresh(db, seance).timer_ends_at is None
    response = logged_in.post(f"/seances/{seance.id}/minuteur", data={"minutes": "999"})
    assert response.status_code == 422
    assert "Durée invalide (0 à 240 minutes)." in text(response)
    assert [e.payload["minutes"] for e in factories.events(db, seance, "seance.timer")] == [7, 0]


def test_close_and_reopen(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/cloture", data={"closed": "1"})
    assert response.status_code == 200 and "Séance close." in text(response)
    assert fresh(db, seance).closed_at is not None
    assert "Rouvrir la séance" in text(response)
    response = logged_in.post(f"/seances/{seance.id}/cloture", data={"closed": "0"})
    assert "Séance rouverte." in text(response)
    assert fresh(db, seance).closed_at is None
    assert kinds(db, seance)[-2:] == ["seance.closed", "seance.reopened"]


def test_add_a_need(logged_in, db, seance, facilitator):
    theme = factories.theme(db, "hs-caces")
    response = logged_in.post(f"/seances/{seance.id}/besoins",
                              data={"theme_id": theme.id, "title": "CACES R489",
                                    "details": "Chariots"})
    assert response.status_code == 200
    assert "Besoin ajouté." in text(response) and "CACES R489" in text(response)
    need = db.exec(select(Need)).one()
    assert (need.title, need.details, need.source, need.theme_id) == ("CACES R489", "Chariots",
                                                                       "facilitator", theme.id)
    [event] = factories.events(db, seance, "need.added")
    assert event.actor == f"facilitator:{facilitator.id}"


def test_add_a_need_refusals(logged_in, db, seance):
    missing = logged_in.post(f"/seances/{seance.id}/besoins",
                             data={"theme_id": factories.theme(db).id, "title": " "})
    assert missing.status_code == 422 and "Ce champ est obligatoire." in text(missing)
    unknown = logged_in.post(f"/seances/{seance.id}/besoins",
                             data={"theme_id": "99999", "title": "Titre"})
    assert unknown.status_code == 422 and "Choisissez un thème du catalogue." in text(unknown)
    assert db.exec(select(Need)).all() == []


def test_edit_a_need(logged_in, db, seance):
    need = factories.need(db, seance, "Acceuil")
    form = logged_in.get(f"/seances/{seance.id}/besoins/{need.id}/modifier")
    assert form.status_code == 200 and "Acceuil" in text(form)
    theme = factories.theme(db, "rh-rps")
    response = logged_in.post(f"/seances/{seance.id}/besoins/{need.id}",
                              data={"theme_id": theme.id, "title": "Accueil", "details": "x"})
    assert response.status_code == 200 and "Besoin modifié." in text(response)
    db.expire_all()
    assert (db.get(Need, need.id).title, db.get(Need, need.id).theme_id) == ("Accueil", theme.id)
    unknown = logged_in.post(f"/seances/{seance.id}/besoins/99999",
                             data={"theme_id": theme.id, "title": "X"})
    assert unknown.status_code == 422 and "Besoin inconnu." in text(unknown)
    assert logged_in.get(f"/seances/{seance.id}/besoins/99999/modifier").status_code == 404


def test_hide_and_show_a_need(logged_in, db, seance):
    need = factories.need(db, seance, "Hors sujet")
    response = logged_in.post(f"/seances/{seance.id}/besoins/{need.id}/masquer")
    assert response.status_code == 200
    assert "Besoin masqué : il reste dans l'historique." in text(response)
    assert "Masqués" in text(response)
    assert [v.need.id for v in board.snapshot(db, fresh(db, seance)).hidden] == [need.id]
    response = logged_in.post(f"/seances/{seance.id}/besoins/{need.id}/afficher")
    assert response.status_code == 200 and "Besoin remis au tableau." in text(response)
    assert [v.need.id for v in board.snapshot(db, fresh(db, seance)).needs] == [need.id]
    assert kinds(db, seance)[-2:] == ["need.hidden", "need.shown"]
    assert logged_in.post(f"/seances/{seance.id}/besoins/99999/masquer").status_code == 422


def test_merge_two_needs(logged_in, db, seance):
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    form = logged_in.get(f"/seances/{seance.id}/regrouper")
    assert form.status_code == 200 and "Paie" in text(form) and "Paye" in text(form)
    response = logged_in.post(f"/seances/{seance.id}/regrouper",
                              data={"target_id": target.id, "source_id": source.id})
    assert response.status_code == 200
    assert "Besoins regroupés : les agents des collectivités et les gommettes s'additionnent." \
        in text(response)
    assert "« Paye » → « Paie »" in text(response)
    db.expire_all()
    assert db.get(Need, source.id).merged_into_id == target.id
    again = logged_in.post(f"/seances/{seance.id}/regrouper",
                           data={"target_id": target.id, "source_id": source.id})
    assert again.status_code == 422
    assert "Ce besoin a déjà été regroupé avec un autre." in text(again)
    missing = logged_in.post(f"/seances/{seance.id}/regrouper", data={"target_id": target.id})
    assert missing.status_code == 422
    assert "Choisissez les deux besoins à regrouper." in text(missing)
    assert len(factories.events(db, seance, "need.merged")) == 1


def test_merge_tells_the_overlaps_and_unmerge_undoes_it(logged_in, db, seance):
    """Issue 14, items 2 and 3, through the facilitator's door."""
    factories.phase(db, seance, "recueil")
    orchies = factories.participant(db, seance, "Orchies")
    target, source = factories.need(db, seance, "Paie"), factories.need(db, seance, "Paye")
    board.declare(db, seance, orchies, target.id, 2027, 5)
    board.declare(db, seance, orchies, source.id, 2027, 5)
    factories.phase(db, seance, "vote")
    board.vote(db, seance, orchies, target.id, 3)
    board.vote(db, seance, orchies, source.id, 2)
    merged = logged_in.post(f"/seances/{seance.id}/regrouper",
                            data={"target_id": target.id, "source_id": source.id})
    assert merged.status_code == 200
    assert "le plus grand chiffre est gardé : Orchies 2027 : 5 et 5 → 5." in text(merged)
    assert "2 gommettes au-delà du maximum par besoin sont rendues à leurs participants." \
        in text(merged)
    assert f'/besoins/{source.id}/separer' in text(merged)
    assert "Séparer « Paye »" in text(merged)

    undone = logged_in.post(f"/seances/{seance.id}/besoins/{source.id}/separer")
    assert undone.status_code == 200
    assert "Regroupement défait : « Paye » est revenu au tableau, séparé de « Paie »." \
        in text(undone)
    assert "/separer" not in text(undone)
    db.expire_all()
    assert db.get(Need, source.id).merged_into_id is None
    assert board.mine(db, seance, orchies).allocation == {target.id: 3, source.id: 2}
    # A merge whose need kept is hidden is undone from the list of merges.
    board.merge(db, seance, target.id, source.id, seance.owner_id)
    board.set_hidden(db, seance, target.id, True, seance.owner_id)
    page = text(logged_in.get(f"/seances/{seance.id}/pilotage"))
    assert f'/besoins/{source.id}/separer' in page
    assert logged_in.post(f"/seances/{seance.id}/besoins/{source.id}/separer").status_code == 200
    again = logged_in.post(f"/seances/{seance.id}/besoins/{source.id}/separer")
    assert again.status_code == 422
    assert "Ce besoin n'est pas regroupé avec un autre." in text(again)
    assert kinds(db, seance)[-2:] == ["need.hidden", "need.unmerged"]


def test_merge_panel_suggests_duplicates_and_merges_the_ticked_needs(logged_in, db, seance):
    """Issue 15: likely duplicates offered; ticked needs join the one kept, one merge each."""
    keep = factories.need(db, seance, "Gestion des conflits")
    twin = factories.need(db, seance, "Gérer les conflits")
    third = factories.need(db, seance, "La gestion des conflits")
    other_theme = factories.need(db, seance, "Gestion des conflits", theme_code="hs-sst")
    hidden = factories.need(db, seance, "Conflits")
    board.set_hidden(db, seance, hidden.id, True, seance.owner_id)
    panel = text(logged_in.get(f"/seances/{seance.id}/regrouper"))
    assert "Doublons probables" in panel
    assert "« Gestion des conflits » et « La gestion des conflits »" in panel
    assert "« Gestion des conflits » et « Gérer les conflits »" in panel
    assert panel.count('name="need_ids"') == 4  # the board's needs, not the hidden one
    assert f'"target_id": {other_theme.id}' not in panel  # another theme: not offered

    path = f"/seances/{seance.id}/regrouper-coches"
    assert logged_in.post(path, data={"target_id": keep.id, "need_ids": [keep.id]}).status_code \
        == 422
    refused = logged_in.post(path, data={"need_ids": [keep.id, twin.id]})
    assert refused.status_code == 422 and "Choisissez le besoin à garder." in text(refused)
    refused = logged_in.post(path, data={"target_id": keep.id,
                                         "need_ids": [keep.id, twin.id, hidden.id]})
    assert refused.status_code == 422
    assert "Remettez d'abord ce besoin au tableau pour le regrouper." in text(refused)
    assert factories.events(db, seance, "need.merged") == []

    done = logged_in.post(path, data={"target_id": keep.id, "need_ids": [twin.id, third.id]})
    assert done.status_code == 200 and "Besoins regroupés" in text(done)
    db.expire_all()
    assert [db.get(Need, n.id).merged_into_id for n in (twin, third, other_theme)] == \
        [keep.id, keep.id, None]
    assert len(factories.events(db, seance, "need.merged")) == 2
    assert "Séparer « Gérer les conflits »" in text(done)
    assert "Séparer « La gestion des conflits »" in text(done)


def test_ticking_three_needs_then_separating_each_restores_the_board(logged_in, db, seance):
    """Tester's case through the doors: `regrouper-coches` with 3 needs, then "Séparer"
    each: nothing doubles (board total agents as before), nobody's dots move, and nobody is
    told of figures "changed since"; the notice names the figures of every need."""
    factories.phase(db, seance, "recueil")
    orchies, cysoing = (factories.participant(db, seance, n) for n in ("Orchies", "Cysoing"))
    needs = [factories.need(db, seance, t) for t in ("Paie", "Paye", "La paie")]
    for need, who, agents in ((0, orchies, 5), (1, orchies, 4), (2, orchies, 7), (1, cysoing, 3)):
        board.declare(db, seance, who, needs[need].id, 2027, agents)
    factories.phase(db, seance, "vote")
    for need, dots in ((0, 1), (1, 2), (2, 2)):
        board.vote(db, seance, orchies, needs[need].id, dots)

    def totals():
        db.expire_all()
        state = logged_in.get(f"/seances/{seance.id}/etat.json").get_json()
        return (sum(n["agents"] for n in state["needs"]),
                {v["need_id"]: v["dots"] for v in state["votes"] if v["dots"]})

    before = totals()
    assert before[0] == 19
    merged = logged_in.post(f"/seances/{seance.id}/regrouper-coches",
                            data={"target_id": needs[0].id, "need_ids": [n.id for n in needs]})
    assert merged.status_code == 200
    assert ("Déclaré sur plusieurs des besoins regroupés pour la même année, le plus grand "
            "chiffre est gardé : Orchies 2027 : 5, 4 et 7 → 7.") in text(merged)
    assert "deux besoins" not in text(merged)
    assert totals()[0] == 10  # Orchies 7 + Cysoing 3
    for need in (needs[2], needs[1]):
        undone = logged_in.post(f"/seances/{seance.id}/besoins/{need.id}/separer")
        assert undone.status_code == 200 and "Regroupement défait" in text(undone)
        assert "depuis le regroupement" not in text(undone)
    assert totals() == before
    assert board.mine(db, seance, orchies).allocation == {needs[0].id: 1, needs[1].id: 2,
                                                          needs[2].id: 2}


def test_the_merge_panel_tells_apart_needs_with_the_same_title(logged_in, db, seance):
    factories.phase(db, seance, "recueil")
    orchies = factories.participant(db, seance, "Orchies")
    by_hand = factories.need(db, seance, "Paie")
    from_phone = factories.need(db, seance, "Paie", by=orchies)
    panel = text(logged_in.get(f"/seances/{seance.id}/regrouper"))
    first = f"Garder « Paie (n° {by_hand.id}) »"
    second = f"Garder « Paie (Orchies, n° {from_phone.id}) »"
    assert panel.count(first) == 2 and panel.count(second) == 2  # the suggestion, the pick list
    assert "Garder « Paie »" not in panel
    assert f'<label for="pick-{from_phone.id}">Paie (Orchies, n° {from_phone.id})</label>' in panel


def test_proxy_opens_the_phone_page_for_the_collectivite(logged_in, db, seance):
    bachy = factories.collectivite_id(db, seance, "Bachy")
    response = logged_in.post(f"/seances/{seance.id}/procuration", data={"collectivite_id": bachy})
    assert response.status_code == 302
    stand_in = db.exec(select(Participant)).one()
    assert stand_in.is_proxy and stand_in.collectivite_id == bachy
    assert response.location == f"/seances/{seance.id}/procuration/{stand_in.id}"
    # The proxy's identity is the tab's (in the page), not a cookie every tab shares.
    assert logged_in.get_cookie(f"p_{seance.id}") is None
    html = logged_in.get(response.location).get_data(as_text=True)
    assert "Saisie pour : Bachy" in text(logged_in.get(response.location))
    import json
    import re
    auth = json.loads(re.search(r"data-live='([^']+)'", html).group(1))
    assert auth["token"] == stand_in.token and isinstance(auth["seen"], int)
    again = logged_in.post(f"/seances/{seance.id}/procuration", data={"collectivite_id": bachy})
    assert again.status_code == 302
    assert len(db.exec(select(Participant)).all()) == 1


def test_a_proxy_page_is_only_for_a_proxy_of_the_seance(logged_in, db, seance):
    person = factories.participant(db, seance, "Orchies")
    assert logged_in.get(f"/seances/{seance.id}/procuration/{person.id}").status_code == 404
    assert logged_in.get(f"/seances/{seance.id}/procuration/999999").status_code == 404


def test_proxy_outside_the_perimeter_is_refused(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/procuration",
                              data={"collectivite_id": factories.outsider_id(db)})
    assert response.status_code == 422
    assert "Choisissez une collectivité du périmètre de la séance." in text(response)
    assert logged_in.get_cookie(f"p_{seance.id}") is None
    assert db.exec(select(Participant)).all() == []


def test_state_json(logged_in, db, seance):
    orchies, cysoing = (factories.participant(db, seance, n) for n in ("Orchies", "Cysoing"))
    stand_in = factories.proxy(db, seance, "Bachy")
    factories.phase(db, seance, "recueil")
    first, second, hidden = (factories.need(db, seance, t, "hs-sst") for t in ("SST", "Paie", "X"))
    board.declare(db, seance, orchies, first.id, 2027, 8)
    board.declare(db, seance, cysoing, first.id, 2028, 4)
    board.set_hidden(db, seance, hidden.id, True, seance.owner_id)
    factories.phase(db, seance, "vote")
    board.vote(db, seance, orchies, second.id, 3)
    board.vote(db, seance, cysoing, second.id, 1)
    board.vote(db, seance, cysoing, first.id, 2)

    response = logged_in.get(f"/seances/{seance.id}/etat.json")
    assert response.status_code == 200
    state = response.get_json()
    assert state["version"] == 1
    assert isinstance(state["seance"].pop("revision"), int)
    assert state["seance"] == {
        "id": seance.id, "title": "Séance test", "phase": "vote", "join_code": seance.join_code,
        "held_on": "2026-12-01", "horizon": [2027, 2029], "dot_budget": 5, "max_dots_per_need": 3,
        "weighting": "participant", "tallies_visible": False, "closed": False,
        "timer_ends_at": None}
    assert [(n["id"], n["rank"], n["score"], n["dots"], n["voters"]) for n in state["needs"]] == [
        (second.id, 1, 4, 4, 2), (first.id, 2, 2, 2, 1)]
    sst = state["needs"][1]
    assert sst["agents"] == 12 and sst["agents_by_year"] == {"2027": 8, "2028": 4}
    # One truth per year (SST: 6 to 10 trainees, not poolable): 2027 opens, 2028 is 2 short.
    assert (sst["threshold"], sst["threshold_reached"], sst["missing"]) == (6, True, 0)
    assert [(y["year"], y["agents"], y["state"], y["missing"]) for y in sst["status"]["years"]] == \
        [(2027, 8, "open", 0), (2028, 4, "short", 2), (2029, 0, "none", 0)]
    assert sst["kind"] == "sante_securite"
    lines = {ln["key"]: ln for ln in state["plan"]["lines"]}
    assert lines[f"{first.id}:2027"]["status"] == "territorialised"
    assert (lines[f"{first.id}:2028"]["status"], lines[f"{first.id}:2028"]["year"],
            lines[f"{first.id}:2028"]["missing"]) == ("below_threshold", 2028, 2)
    assert sst["collectivites"] == 2 and sst["theme"] == "hs-sst" and sst["source"] == "facilitator"
    assert [n["id"] for n in state["hidden"]] == [hidden.id]
    assert state["merged"] == []
    assert sorted((p["id"], p["proxy"]) for p in state["participants"]) == sorted(
        [(orchies.id, False), (cysoing.id, False), (stand_in.id, True)])
    assert state["totals"] == {"dots": 6, "participants": 2, "proxies": 1}  # as the screen says
    assert sorted((v["participant_id"], v["need_id"], v["dots"]) for v in state["votes"]) == sorted(
        [(orchies.id, second.id, 3), (cysoing.id, second.id, 1), (cysoing.id, first.id, 2)])


ROUTES = [
    ("get", "/pilotage", None),
    ("get", "/etat.json", None),
    ("post", "/phase", {"phase": "vote"}),
    ("post", "/reglages", SETTINGS),
    ("post", "/minuteur", {"minutes": "5"}),
    ("post", "/cloture", {"closed": "1"}),
    ("post", "/besoins", {"theme_id": "THEME", "title": "Intrus"}),
    ("get", "/regrouper", None),
    ("get", "/besoins/NEED/modifier", None),
    ("post", "/besoins/NEED", {"theme_id": "THEME", "title": "Intrus"}),
    ("post", "/besoins/NEED/masquer", None),
    ("post", "/besoins/NEED/afficher", None),
    ("post", "/regrouper", {"target_id": "NEED", "source_id": "OTHER"}),
    ("post", "/besoins/NEED/separer", None),
    ("post", "/regrouper-coches", {"target_id": "NEED", "need_ids": ["NEED", "OTHER"]}),
    ("post", "/procuration", {"collectivite_id": "MEMBER"}),
    ("post", "/minuteur/plus", None),
    ("get", "/procuration/PROXY", None),
]


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_another_facilitators_seance_is_not_found(logged_in, db, method, path, data):
    owner = factories.facilitator(db)
    theirs = factories.seance(db, owner, factories.perimetre(db, owner))
    need, other = factories.need(db, theirs, "A"), factories.need(db, theirs, "B")
    values = {"THEME": factories.theme(db).id, "NEED": need.id, "OTHER": other.id,
              "MEMBER": factories.collectivite_id(db, theirs, "Orchies")}
    path = path.replace("NEED", str(need.id)).replace("PROXY", str(factories.proxy(db, theirs).id))
    data = {k: [values.get(x, x) for x in v] if isinstance(v, list) else values.get(v, v)
            for k, v in (data or {}).items()}
    before = kinds(db, theirs)
    response = getattr(logged_in, method)(f"/seances/{theirs.id}{path}", data=data)
    assert response.status_code == 404
    assert kinds(db, theirs) == before
    assert logged_in.get_cookie(f"p_{theirs.id}") is None


@pytest.mark.parametrize(("method", "path", "data"), ROUTES[:4])
def test_pilotage_needs_a_login(client, db, seance, method, path, data):
    response = getattr(client, method)(f"/seances/{seance.id}{path}", data=data)
    assert response.status_code == 302 and response.location.startswith("/connexion")
    assert kinds(db, seance) == ["seance.created"]


def test_the_state_is_built_in_parts_that_give_the_loop_back(db, seance):
    """`etat.json` on a big séance takes tens of ms: the service pauses between its parts (the
    live server's pause gives the loop back to the phones) and answers the same."""
    from workshop.services import state as state_service

    pauses = []
    built = state_service.seance_state(db, seance, pause=lambda: pauses.append(1))
    assert len(pauses) >= 4
    assert built == state_service.seance_state(db, seance)
