"""Who is behind each socket of this process, and who is connected per séance."""

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class Identity:
    audience: str  # "phone", "screen", "facilitator", "plan" (the facilitator's plan page)
    seance_id: int
    participant_id: int | None = None
    collectivite_id: int | None = None
    locale: str = "fr"  # the language of the page behind the socket (phones)


class Connections:
    def __init__(self) -> None:
        self._by_sid: dict[str, Identity] = {}

    def add(self, sid: str, identity: Identity) -> None:
        self._by_sid[sid] = identity

    def get(self, sid: str) -> Identity | None:
        return self._by_sid.get(sid)

    def drop(self, sid: str) -> Identity | None:
        return self._by_sid.pop(sid, None)

    def watching_plan(self, seance_id: int) -> bool:
        return any(i.audience == "plan" and i.seance_id == seance_id
                   for i in self._by_sid.values())

    def participants(self, seance_id: int) -> dict[int, set[int]]:
        """Participants with a socket on this process, per collectivité (see `presence` for
        every process)."""
        people: dict[int, set[int]] = defaultdict(set)
        for identity in self._by_sid.values():
            if identity.seance_id == seance_id and identity.participant_id is not None:
                people[identity.collectivite_id].add(identity.participant_id)
        return dict(people)

    def seances(self) -> set[int]:
        """The séances with a phone on this process."""
        return {i.seance_id for i in self._by_sid.values() if i.participant_id is not None}


connections = Connections()
