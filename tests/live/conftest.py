import pytest

from tests.live.support import Phone, Screen


@pytest.fixture
def room(live_server):
    """A facilitator, a screen and helpers; everything closed afterwards."""
    opened = []

    class Room:
        server = live_server
        facilitator = live_server.facilitator()

        def phone(self, collectivite_id=None, token=None, language=None):
            phone = Phone(live_server, collectivite_id or live_server.members[1], token,
                          language)
            opened.append(phone)
            return phone

        def screen(self):
            screen = Screen(live_server)
            opened.append(screen)
            return screen

        def phase(self, phase):
            assert self.facilitator.post(f"/seances/{live_server.seance_id}/phase",
                                         phase=phase).status_code == 200

        def state(self):
            return self.facilitator.state(live_server.seance_id)

    yield Room()
    for client in opened:
        client.client.disconnect()
