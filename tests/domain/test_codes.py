from workshop.domain import codes


def test_join_codes_use_the_unambiguous_alphabet():
    drawn = {codes.new_join_code() for _ in range(500)}
    assert len(drawn) > 490  # 5.9e8 possibilities: collisions in 500 draws are rare
    for code in drawn:
        assert len(code) == 6
        assert set(code) <= set(codes.ALPHABET)
        assert not set(code) & set("01OIL")


def test_typed_codes_are_forgiving_about_case_spaces_and_dashes():
    assert codes.parse("k7m-4px") == "K7M4PX"
    assert codes.parse(" K7M 4PX ") == "K7M4PX"
    assert codes.display("K7M4PX") == "K7M-4PX"


def test_malformed_codes_are_refused():
    assert codes.parse("K7M4P") is None
    assert codes.parse("K7M4PXX") is None
    assert codes.parse("K0M4PX") is None  # 0 is not in the alphabet


def test_secrets_are_long_and_distinct():
    secrets_ = {codes.new_secret() for _ in range(100)}
    assert len(secrets_) == 100
    assert all(len(s) >= 32 for s in secrets_)
