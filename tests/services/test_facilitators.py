from workshop.services import facilitators


def test_add_and_authenticate(db):
    facilitator = facilitators.add(db, " Camille@Example.fr ", "Camille", "long-enough-1")
    assert facilitator.email == "camille@example.fr"
    assert facilitator.password_hash.startswith("scrypt:")
    assert facilitators.authenticate(db, "CAMILLE@example.fr", "long-enough-1").id == facilitator.id


def test_wrong_password_and_unknown_email_get_the_same_refusal(db):
    facilitators.add(db, "camille@example.fr", "Camille", "long-enough-1")
    wrong = facilitators.authenticate(db, "camille@example.fr", "nope")
    unknown = facilitators.authenticate(db, "nobody@example.fr", "long-enough-1")
    assert wrong == unknown == facilitators.WRONG_LOGIN
    assert wrong.message == "Adresse e-mail ou mot de passe incorrect."


def test_weak_or_duplicate_accounts_are_refused(db):
    assert facilitators.add(db, "a@b.fr", "A", "court").code == "mot_de_passe_court"
    assert facilitators.add(db, "pas-une-adresse", "A", "long-enough-1").code == "email_invalide"
    facilitators.add(db, "a@b.fr", "A", "long-enough-1")
    assert facilitators.add(db, "A@B.fr", "A", "long-enough-2").code == "email_pris"
