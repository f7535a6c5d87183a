"""A séance shared with a colleague: they run it; nobody else does."""

from tests import factories


def test_a_shared_seance_opens_for_the_colleague_only(client, db, facilitator):
    seance = factories.seance(db, facilitator, factories.perimetre(db, facilitator))
    colleague = factories.facilitator(db, "collegue@example.fr")
    stranger = factories.facilitator(db, "inconnu@example.fr")

    client.post("/connexion", data={"email": facilitator.email, "password": factories.PASSWORD})
    page = client.post(f"/seances/{seance.id}/partage", data={"email": "Collegue@example.fr"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Séance partagée avec Camille Animatrice." in page and "collegue@example.fr" in page
    again = client.post(f"/seances/{seance.id}/partage", data={"email": "collegue@example.fr"},
                        follow_redirects=True).get_data(as_text=True)
    assert "anime déjà cette séance" in again
    unknown = client.post(f"/seances/{seance.id}/partage", data={"email": "x@example.fr"},
                          follow_redirects=True).get_data(as_text=True)
    assert "Aucun compte animateur pour cette adresse." in unknown
    client.post("/deconnexion")

    client.post("/connexion", data={"email": colleague.email, "password": factories.PASSWORD})
    assert "Séance test" in client.get("/seances/").get_data(as_text=True)
    for path in ("", "/pilotage", "/plan/", "/exports", "/etat.json"):
        assert client.get(f"/seances/{seance.id}{path}").status_code == 200, path
    assert client.post(f"/seances/{seance.id}/phase", data={"phase": "recueil"}).status_code == 200
    # The perimeter stays its owner's to edit.
    assert client.get(f"/perimetres/{seance.perimetre_id}").status_code == 404
    client.post("/deconnexion")

    client.post("/connexion", data={"email": stranger.email, "password": factories.PASSWORD})
    assert "Séance test" not in client.get("/seances/").get_data(as_text=True)
    for path in ("", "/pilotage", "/plan/", "/exports", "/etat.json"):
        assert client.get(f"/seances/{seance.id}{path}").status_code == 404, path
    assert client.post(f"/seances/{seance.id}/partage",
                       data={"email": stranger.email}).status_code == 404


def test_a_colleague_of_one_seance_sees_and_withdraws_its_pooling(client, db, facilitator):
    """Pooling across perimeters (issue 17, item 9): accepted by the facilitator who runs
    both séances; a colleague the other séance is shared with sees the shared line on its
    plan and may withdraw it, without seeing the first séance."""
    from workshop.services import pooling, seances

    here, other, (ours, theirs) = factories.pooling_pair(db, facilitator)
    factories.ok(pooling.accept(db, here, f"{ours.id}:2028", other.id, f"{theirs.id}:2028",
                                facilitator.id))
    colleague = factories.facilitator(db, "collegue@example.fr")
    factories.ok(seances.share(db, other, colleague.email, facilitator.id))
    client.post("/connexion", data={"email": colleague.email, "password": factories.PASSWORD})
    assert client.get(f"/seances/{here.id}/plan/").status_code == 404
    page = client.get(f"/seances/{other.id}/plan/").get_data(as_text=True).replace("&#39;", "'")
    assert "Action mutualisée avec Pévèle : 7 + 9 = 16 stagiaires" in page
    state = client.get(f"/seances/{other.id}/etat.json").get_json()
    [line] = [ln for ln in state["plan"]["lines"] if ln["pooling"]]
    pooling_id = line["pooling"]["id"]
    assert client.post(f"/seances/{other.id}/plan/mutualisation/retirer",
                       data={"pooling_id": pooling_id}).status_code == 200
    assert "Action mutualisée" not in client.get(f"/seances/{other.id}/plan/").get_data(as_text=True)
