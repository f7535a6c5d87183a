import pytest

from tests import factories
from workshop.services import board

HTMX = {"HX-Request": "true"}


@pytest.fixture
def seance(db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    factories.phase(db, seance, "recueil")
    need = factories.need(db, seance, "Gestion des conflits", "mgt-encadrement-proximite")
    for name, agents in (("Orchies", 20), ("Cysoing", 15)):
        board.declare(db, seance, factories.participant(db, seance, name), need.id, 2027, agents)
    return seance


def test_the_plan_page_shows_a_column_per_year(logged_in, seance):
    page = logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True)
    for year in (2027, 2028, 2029):
        assert f'id="year-{year}"' in page
    assert "Gestion des conflits" in page and "2 groupes" in page and "35 stagiaires" in page
    assert "financée par la cotisation" in page


def test_pin_returns_the_reflowed_plan(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/plan/epingler",
                              data={"line": f"{_key(db, seance)}", "year": "2029"}, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="plan"')
    assert "épinglée par l&#39;animateur" in html or "épinglée par l'animateur" in html
    assert 'id="plan-notice" aria-live="polite" hx-swap-oob="true"' in html


def test_bad_pins_and_capacities_are_refused_in_french(logged_in, db, seance):
    key = _key(db, seance)
    cases = [
        ("epingler", {"line": key, "year": "1999"}, "La valeur doit être au moins 2000."),
        ("epingler", {"line": key, "year": "2031"}, "Choisissez une année de l'horizon du plan."),
        ("epingler", {"line": "", "year": "2028"}, "Ce champ est obligatoire."),
        ("capacite", {"cap-2027": "beaucoup"}, "Indiquez pour chaque année un nombre de jours"),
        ("capacite", {"cap-2027": "-3"}, "Indiquez pour chaque année un nombre de jours"),
        ("horizon", {"horizon_start": "2027", "horizon_years": "40"}, "au plus 10"),
        ("accueil", {"line": key, "collectivite_id": str(factories.outsider_id(db))},
         "doit faire partie du périmètre"),
    ]
    for action, data, message in cases:
        response = logged_in.post(f"/seances/{seance.id}/plan/{action}", data=data, headers=HTMX)
        assert response.status_code == 422, (action, data)
        assert message in response.get_data(as_text=True).replace("&#39;", "'"), (action, data)
    db.refresh(seance)
    assert seance.plan_capacity == {}
    assert factories.events(db, seance, "plan.pinned") == []


def test_capacity_form(logged_in, db, seance):
    response = logged_in.post(f"/seances/{seance.id}/plan/capacite",
                              data={"cap-2027": "2", "cap-2028": "30", "cap-2029": "30"},
                              headers=HTMX)
    assert response.status_code == 200
    db.refresh(seance)
    assert seance.plan_capacity == {"2027": 2, "2028": 30, "2029": 30}
    assert "2028 : capacité de 2027 inférieure à 6 jours" in response.get_data(as_text=True)


def test_plan_figures_follow_the_language(logged_in, db, seance):
    """Trainees and days past a thousand: 1 234 in French, 1,234 in English."""
    from workshop.services import plan as plan_service

    need = factories.need(db, seance, "Accueil des publics", "acc-accueil-public")
    factories.ok(board.declare(db, seance, factories.participant(db, seance, "Phalempin"),
                               need.id, 2027, 1234))
    factories.ok(plan_service.set_capacity(db, seance, {2027: 1500}, seance.owner_id))
    french = logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True)
    assert "1\u202f234 stagiaires" in french and "/ 1\u202f500 jours" in french
    assert "Phalempin : 1\u202f234" in french
    logged_in.get("/langue/en")
    english = logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True)
    assert "1,234 trainees" in english and "/ 1,500 days" in english


def test_another_facilitator_cannot_see_or_touch_the_plan(client, db, seance):
    other = factories.facilitator(db)
    client.post("/connexion", data={"email": other.email, "password": factories.PASSWORD})
    assert client.get(f"/seances/{seance.id}/plan/").status_code == 404
    for action in ("epingler", "accueil", "scinder", "capacite", "horizon"):
        assert client.post(f"/seances/{seance.id}/plan/{action}", data={}).status_code == 404


def _key(db, seance):
    from workshop.services import plan as plan_service

    return str(plan_service.build(db, seance)[0].lines[0].key)


def test_one_plan_build_per_pin_click(logged_in, db, seance, monkeypatch):
    """The service builds the plan once with the pin and checks it; the answer and the
    screens use that build (issue 17, speed)."""
    from workshop.services import plan as plan_service

    key = _key(db, seance)
    builds = []
    real = plan_service.build_plan
    monkeypatch.setattr(plan_service, "build_plan", lambda data: builds.append(1) or real(data))
    response = logged_in.post(f"/seances/{seance.id}/plan/epingler",
                              data={"line": key, "year": "2029"}, headers=HTMX)
    assert response.status_code == 200 and "épinglée par l&#39;animateur" in response.get_data(as_text=True)
    assert len(builds) == 1


def test_the_facilitator_sets_a_cost_a_kind_and_the_pooling(logged_in, db, seance):
    factories.phase(db, seance, "recueil")
    caces = factories.need(db, seance, "Nacelles", "hs-caces")
    board.declare(db, seance, factories.participant(db, seance, "Orchies"), caces.id, 2027, 12)
    page = logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True)
    assert "6\u202f480 € estimés" in page  # 12 trainees x 3 days x 180 €
    response = logged_in.post(f"/seances/{seance.id}/plan/cout", data={"theme": "hs-caces", "euros": "150"},
                              headers=HTMX)
    assert response.status_code == 200 and "5\u202f400 € estimés" in response.get_data(as_text=True)
    refused = logged_in.post(f"/seances/{seance.id}/plan/cout", data={"theme": "hs-caces", "euros": "-3"},
                             headers=HTMX)
    assert refused.status_code == 422
    response = logged_in.post(f"/seances/{seance.id}/plan/besoin",
                              data={"need_id": caces.id, "kind": "integration", "pool_years": ""},
                              headers=HTMX)
    assert response.status_code == 200
    assert "Formations statutaires" in response.get_data(as_text=True)
    db.refresh(caces)
    assert (caces.kind, caces.pool_years) == ("integration", None)
    assert logged_in.post(f"/seances/{seance.id}/plan/besoin", data={"need_id": caces.id, "kind": "x"},
                          headers=HTMX).status_code == 422


def test_lines_below_threshold_get_pooling_offers_from_other_perimeters(logged_in, db, facilitator, seance):
    """Issue 17, item 9 (proposals): 9 here and 7 in another perimeter's séance reach 15."""
    factories.phase(db, seance, "recueil")
    here = factories.need(db, seance, "Accueil", "acc-accueil-public")
    board.declare(db, seance, factories.participant(db, seance, "Orchies"), here.id, 2029, 9)
    other = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name="Voisin"),
                             title="Séance voisine")
    factories.phase(db, other, "recueil")
    there = factories.need(db, other, "Accueil du public", "acc-accueil-public")
    board.declare(db, other, factories.participant(db, other, "Cysoing"), there.id, 2029, 7)
    page = logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True)
    assert f'/seances/{seance.id}/plan/mutualisations' in page
    html = logged_in.get(f"/seances/{seance.id}/plan/mutualisations").get_data(as_text=True)
    assert "avec Voisin (Séance voisine) : 9 + 7 = 16, territorialisable en 2029, accueil à Orchies" \
        in html.replace("&#39;", "'")


def test_an_accepted_pooling_shows_on_both_plan_pages(logged_in, db, facilitator):
    """Issue 17, item 9: accept through HTTP; both séances' plan pages show the shared line;
    withdraw from the other side; a stale acceptance is refused in French."""
    pages = []
    for epci, name, who, agents in ((factories.PEVELE, "Pévèle", "Orchies", 9),
                                    (factories.FLANDRE_LYS, "CC Flandre Lys", "Merville", 7)):
        seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator, (epci,), name=name),
                                  title=f"Séance {name}")
        factories.phase(db, seance, "recueil")
        need = factories.need(db, seance, "Accueil du public", "acc-accueil-public")
        board.declare(db, seance, factories.participant(db, seance, who), need.id, 2028, agents)
        pages.append((seance, need))
    (here, ours), (other, theirs) = pages
    offers = logged_in.get(f"/seances/{here.id}/plan/mutualisations").get_data(as_text=True)
    assert "Accepter cette mutualisation" in offers and f'value="{theirs.id}:2028"' in offers
    form = {"line": f"{ours.id}:2028", "other_seance_id": other.id, "other_line": f"{theirs.id}:2028"}
    response = logged_in.post(f"/seances/{here.id}/plan/mutualiser", data=form, headers=HTMX)
    assert response.status_code == 200
    for seance, mine, partner in ((here, 9, "CC Flandre Lys"), (other, 7, "Pévèle")):
        page = logged_in.get(f"/seances/{seance.id}/plan/").get_data(as_text=True).replace("&#39;", "'")
        assert f"Action mutualisée avec {partner} : {mine} + {16 - mine} = 16 stagiaires, " \
               f"territorialisée en 2028, accueil à Orchies" in page
        assert "Retirer la mutualisation" in page
    # Merville lowers its figure to 3: the pooling no longer holds, and the page says so.
    board.declare(db, other, factories.participant(db, other, "Merville"), theirs.id, 2028, 3)
    page = logged_in.get(f"/seances/{here.id}/plan/").get_data(as_text=True)
    assert "Mutualisations qui ne tiennent plus" in page and "9 + 3 = 12, sous le seuil de 15" in page
    assert "Action mutualisée" not in page
    from sqlmodel import select

    from workshop.models import PlanPooling

    [pooling_id] = db.exec(select(PlanPooling.id)).all()
    response = logged_in.post(f"/seances/{other.id}/plan/mutualisation/retirer",
                              data={"pooling_id": pooling_id}, headers=HTMX)
    assert response.status_code == 200 and "Mutualisation retirée" in response.get_data(as_text=True)
    assert "Action mutualisée" not in logged_in.get(f"/seances/{here.id}/plan/").get_data(as_text=True)
    # Merville now declares 4: 9 + 4 = 13, refused, said in French.
    board.declare(db, other, factories.participant(db, other, "Merville"), theirs.id, 2028, 4)
    refused = logged_in.post(f"/seances/{here.id}/plan/mutualiser", data=form, headers=HTMX)
    assert refused.status_code == 422
    assert "9 + 4 = 13 stagiaires, sous le seuil de 15" in refused.get_data(as_text=True)
    bad = logged_in.post(f"/seances/{here.id}/plan/mutualiser", data={"line": "x"}, headers=HTMX)
    assert bad.status_code == 422


def test_a_copy_of_the_plan_is_not_offered_nor_accepted_through_http(logged_in, db, facilitator):
    """The tester's case through HTTP: a séance over the same collectivités (a re-import
    used to make one) is set aside with why, and a pooling posted anyway is refused."""
    from sqlmodel import select

    from workshop.models import PlanPooling

    made = []
    for name in ("Pévèle-Carembault", "Pévèle-Carembault (copie)"):
        seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator, name=name),
                                  title=f"Séance {name}")
        factories.phase(db, seance, "recueil")
        need = factories.need(db, seance, "Accueil du public", "acc-accueil-public")
        board.declare(db, seance, factories.participant(db, seance, "Orchies"), need.id, 2028, 9)
        made.append((seance, need))
    (here, ours), (copy, copied) = made
    html = logged_in.get(f"/seances/{here.id}/plan/mutualisations").get_data(as_text=True)
    html = html.replace("&#39;", "'")
    assert "Accepter cette mutualisation" not in html and "9 + 9 = 18" not in html
    assert "pas avec Pévèle-Carembault (copie) (Séance Pévèle-Carembault (copie)) : agents de Orchies sur " \
           "les deux lignes : ils seraient comptés deux fois." in html
    assert "les agents d'une collectivité ne sont jamais comptés deux fois" in html
    form = {"line": f"{ours.id}:2028", "other_seance_id": copy.id, "other_line": f"{copied.id}:2028"}
    refused = logged_in.post(f"/seances/{here.id}/plan/mutualiser", data=form, headers=HTMX)
    assert refused.status_code == 422
    assert "Mutualisation impossible avec Séance Pévèle-Carembault (copie)" in refused.get_data(as_text=True)
    assert db.exec(select(PlanPooling)).all() == []
    assert "Action mutualisée" not in logged_in.get(f"/seances/{here.id}/plan/").get_data(as_text=True)
