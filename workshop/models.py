"""The table models of the whole domain (DOMAIN.md).

Input and output shapes live in schemas.py, so that a form or a socket
payload can never set a column it should not. French domain words are kept
where English would lose the meaning (collectivite, perimetre, seance): the
glossary is in docs/glossary.md.
"""

from datetime import UTC, date, datetime

from sqlalchemy import JSON, CheckConstraint, Column, Index, LargeBinary, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Aware UTC: SQLModel stores it as UTC and gives it back aware."""
    return datetime.now(UTC)


# --- Territories and perimeters ---------------------------------------------


class Collectivite(SQLModel, table=True):
    """A local authority: a commune, an EPCI, or one added by hand (CCAS, syndicat)."""

    id: int | None = Field(default=None, primary_key=True)
    # INSEE code for a commune, SIREN for an EPCI; none for one added by hand.
    code: str | None = Field(default=None, max_length=20, unique=True)
    name: str = Field(max_length=200)
    kind: str = Field(max_length=20, index=True)  # see domain.territories.KINDS
    departement: str | None = Field(default=None, max_length=3)
    postcodes: str = Field(default="", max_length=200)  # space separated
    population: int | None = None
    epci_type: str | None = Field(default=None, max_length=10)  # CC, CA, CU, METRO
    # Lower-case, accent-free name and postcodes: what a search box matches.
    search_key: str = Field(default="", max_length=400, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="facilitator.id")
    created_at: datetime = Field(default_factory=utcnow)


class EpciMember(SQLModel, table=True):
    """A commune's membership of an EPCI (from the reference data's `membres`)."""

    epci_id: int = Field(foreign_key="collectivite.id", primary_key=True)
    commune_id: int = Field(foreign_key="collectivite.id", primary_key=True, index=True)


class Perimetre(SQLModel, table=True):
    """The group of collectivités a séance works for."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    owner_id: int = Field(foreign_key="facilitator.id", index=True)
    coordinator_id: int | None = Field(default=None, foreign_key="collectivite.id")
    created_at: datetime = Field(default_factory=utcnow)


class PerimetreMember(SQLModel, table=True):
    perimetre_id: int = Field(foreign_key="perimetre.id", primary_key=True)
    collectivite_id: int = Field(foreign_key="collectivite.id", primary_key=True, index=True)
    added_at: datetime = Field(default_factory=utcnow)


# --- Reference catalogue ----------------------------------------------------


class Theme(SQLModel, table=True):
    """A training theme of the catalogue (seeds/themes.toml)."""

    __table_args__ = (
        CheckConstraint("threshold >= 1 AND max_group >= threshold", name="ck_theme_groups"),
        CheckConstraint("financing IN ('cotisation', 'payant')", name="ck_theme_financing"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=60, unique=True)
    name: str = Field(max_length=200)
    domain: str = Field(max_length=100)
    threshold: int = 15
    max_group: int = 20
    days: int = 1
    financing: str = Field(default="cotisation", max_length=20)
    financing_reason: str = Field(default="", max_length=300)
    recurrence_years: int = 0
    poolable: bool = True
    # Kind of training (domain.planning.KINDS, law 2007-209) and, for a payant theme, the
    # estimated cost per trainee and day in euros (the séance may change it).
    kind: str = Field(default="perfectionnement", max_length=30)
    cost_per_day: float = 0
    renewal_days: int = 0  # a renewal session's days when shorter (MAC SST: 1); 0: `days`
    synonyms: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True


# --- People -----------------------------------------------------------------


class Facilitator(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=300)
    active: bool = True
    # Written into each login cookie; logging out or a new password moves it on, so every
    # cookie signed before no longer opens anything (a signed cookie cannot be recalled).
    session_epoch: int = 0
    created_at: datetime = Field(default_factory=utcnow)


# --- The séance and what happens in it --------------------------------------


class Seance(SQLModel, table=True):
    """A co-design session (named in French: `session` means too much here)."""

    __table_args__ = (
        CheckConstraint("dot_budget >= 1", name="ck_seance_budget"),
        CheckConstraint("max_dots_per_need >= 1", name="ck_seance_max_dots"),
        CheckConstraint("horizon_years >= 1", name="ck_seance_horizon"),
    )

    id: int | None = Field(default=None, primary_key=True)
    perimetre_id: int = Field(foreign_key="perimetre.id", index=True)
    owner_id: int = Field(foreign_key="facilitator.id", index=True)
    title: str = Field(max_length=200)
    held_on: date
    horizon_start: int  # first calendar year of the plan
    horizon_years: int = 3
    dot_budget: int = 5
    max_dots_per_need: int = 3
    weighting: str = Field(default="participant", max_length=20)  # or "collectivite"
    tallies_visible: bool = False
    phase: str = Field(default="accueil", max_length=20)  # see domain.phases
    join_code: str = Field(max_length=12, unique=True)
    screen_token: str = Field(max_length=64, unique=True)
    timer_ends_at: datetime | None = None
    # Moves with every change of phase, timer, settings or closing: a facilitator's form
    # says which revision it was loaded at, and a stale one is refused (services.seances).
    revision: int = 0
    # Training days the perimeter can host per year, {"2027": 40, ...}; missing years
    # take DEFAULT_CAPACITY (see services.plan).
    plan_capacity: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False,
                                                                       server_default="{}"))
    # Cost per trainee and day of payant themes for this séance, {"hs-caces": 150}, euros;
    # a theme not listed takes the catalogue's.
    theme_costs: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False,
                                                                     server_default="{}"))
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    # Being re-created from a JSON export (services.seance_imports), written in slices: nobody
    # sees or joins it until the last slice is written; a failed import removes it.
    importing: bool = Field(default=False, sa_column_kwargs={"server_default": sa_false()})


class SeanceShare(SQLModel, table=True):
    """Another facilitator who runs the séance too (a colleague, the Cdg's advisor)."""

    seance_id: int = Field(foreign_key="seance.id", primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", primary_key=True, index=True)
    shared_by_id: int = Field(foreign_key="facilitator.id")
    shared_at: datetime = Field(default_factory=utcnow)


class Participant(SQLModel, table=True):
    """Someone in the room, without an account, speaking for one collectivité."""

    id: int | None = Field(default=None, primary_key=True)
    seance_id: int = Field(foreign_key="seance.id", index=True)
    collectivite_id: int = Field(foreign_key="collectivite.id", index=True)
    role: str = Field(max_length=30)  # see domain.roles
    # The secret a phone keeps to come back as itself after a reload.
    token: str = Field(max_length=64, unique=True)
    display_name: str | None = Field(default=None, max_length=100)
    # Entered by the facilitator for someone without a phone.
    is_proxy: bool = False
    joined_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime | None = None
    # Personal identity purged after the retention period; results stay.
    anonymised_at: datetime | None = None


class Need(SQLModel, table=True):
    """A training need on the board. Never deleted: hidden or merged instead."""

    id: int | None = Field(default=None, primary_key=True)
    seance_id: int = Field(foreign_key="seance.id", index=True)
    theme_id: int = Field(foreign_key="theme.id")
    title: str = Field(max_length=200)
    details: str = Field(default="", max_length=2000)
    source: str = Field(default="participant", max_length=20)  # participant, facilitator, import
    author_id: int | None = Field(default=None, foreign_key="participant.id")
    hidden: bool = False
    merged_into_id: int | None = Field(default=None, foreign_key="need.id")
    # The facilitator's choices for the plan: another kind than the theme's, and how many
    # years its demand may wait to be pooled (None: the theme's rule, the next year only).
    kind: str | None = Field(default=None, max_length=30)
    pool_years: int | None = None
    created_at: datetime = Field(default_factory=utcnow)


class Demand(SQLModel, table=True):
    """How many agents of one collectivité need one need, for one year.

    One figure per collectivité, need and year: a second participant of the
    same collectivité updates it, it does not add to it.
    """

    __table_args__ = (
        UniqueConstraint("need_id", "collectivite_id", "year", name="uq_demand"),
        CheckConstraint("agents >= 0", name="ck_demand_agents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    collectivite_id: int = Field(foreign_key="collectivite.id", index=True)
    year: int
    agents: int
    category: str | None = Field(default=None, max_length=1)  # the agents' category: A, B or C
    updated_by_id: int | None = Field(default=None, foreign_key="participant.id")
    updated_at: datetime = Field(default_factory=utcnow)


class PhoneAction(SQLModel, table=True):
    """A phone action already applied (add a need, declare, vote), by the id the phone gave
    it: a double tap or a resend after a reconnection takes effect once and gets `reply`
    again (services.actions). Kept ACTION_MEMORY_HOURS (domain/limits.py)."""

    __table_args__ = (UniqueConstraint("participant_id", "action_id", name="uq_phone_action"),)

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id")
    action_id: str = Field(max_length=64)
    reply: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # No index of its own: forgetting is per participant (the unique key's first column).
    created_at: datetime = Field(default_factory=utcnow)


class Vote(SQLModel, table=True):
    """The dots one participant has put on one need."""

    __table_args__ = (
        UniqueConstraint("participant_id", "need_id", name="uq_vote"),
        CheckConstraint("dots >= 0", name="ck_vote_dots"),
        # Covers the board's vote totals (services/board/reads._vote_totals): the séance's
        # votes in participant order, with their need and dots, read from the index alone.
        Index("ix_vote_tally", "seance_id", "participant_id", "need_id", "dots"),
    )

    id: int | None = Field(default=None, primary_key=True)
    seance_id: int = Field(foreign_key="seance.id", index=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    need_id: int = Field(foreign_key="need.id", index=True)
    dots: int
    updated_at: datetime = Field(default_factory=utcnow)


class PlanAdjustment(SQLModel, table=True):
    """What the facilitator changed on one line of the plan draft: pin, host, split."""

    __table_args__ = (UniqueConstraint("seance_id", "line_key", name="uq_plan_adjustment"),)

    id: int | None = Field(default=None, primary_key=True)
    seance_id: int = Field(foreign_key="seance.id", index=True)
    line_key: str = Field(max_length=60)
    pin_year: int | None = None
    host_id: int | None = Field(default=None, foreign_key="collectivite.id")
    split: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class PlanPooling(SQLModel, table=True):
    """A facilitator's acceptance of pooling a line below threshold of one séance with the line
    of the same theme and year of another perimeter's séance (issue 17, item 9).

    Both plans show the shared line while it is accepted and still holds; withdrawing keeps
    the row (status "withdrawn") and its event: nothing is deleted.
    """

    id: int | None = Field(default=None, primary_key=True)
    seance_id: int = Field(foreign_key="seance.id", index=True)  # where it was accepted
    line_key: str = Field(max_length=60)
    other_seance_id: int = Field(foreign_key="seance.id", index=True)
    other_line_key: str = Field(max_length=60)
    status: str = Field(default="accepted", max_length=12)  # accepted, withdrawn
    accepted_by_id: int = Field(foreign_key="facilitator.id")
    accepted_at: datetime = Field(default_factory=utcnow)
    withdrawn_by_id: int | None = Field(default=None, foreign_key="facilitator.id")
    withdrawn_at: datetime | None = None


class PlanImport(SQLModel, table=True):
    """One uploaded plan file: kept as uploaded while previewed, its rows saved on confirmation."""

    id: int | None = Field(default=None, primary_key=True)
    perimetre_id: int = Field(foreign_key="perimetre.id", index=True)
    uploaded_by_id: int = Field(foreign_key="facilitator.id")
    filename: str = Field(max_length=200)
    sha256: str = Field(max_length=64, index=True)
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    # The collectivité the file speaks for, when it has no collectivité column.
    collectivite_id: int | None = Field(default=None, foreign_key="collectivite.id")
    status: str = Field(default="preview", max_length=20)  # preview, confirmed, superseded, withdrawn
    uploaded_at: datetime = Field(default_factory=utcnow)
    confirmed_at: datetime | None = None
    withdrawn_at: datetime | None = None
    # The user's choices in the preview: {"columns": {shape: {column: field}}, "cells": {row: {...}}}.
    options: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default={}))


class ImportedNeed(SQLModel, table=True):
    """A need read from a collectivité's plan, confirmed by the facilitator."""

    id: int | None = Field(default=None, primary_key=True)
    import_id: int = Field(foreign_key="planimport.id", index=True)
    perimetre_id: int = Field(foreign_key="perimetre.id", index=True)
    collectivite_id: int = Field(foreign_key="collectivite.id")
    theme_id: int = Field(foreign_key="theme.id")
    title: str = Field(max_length=200)
    agents: int
    year: int
    category: str | None = Field(default=None, max_length=1)  # A, B or C when the file says it
    priority: str = Field(default="", max_length=60)
    remarks: str = Field(default="", max_length=1000)
    line: int  # where it was in the file
    sheet: str = Field(default="", max_length=100)
    # Recognised extra columns (CNFPT code, priority, service, public, categories, days).
    details: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False, default={}))
    # The later import of the same collectivité that replaces this row (kept, not counted).
    superseded_by_id: int | None = Field(default=None, foreign_key="planimport.id")


class ColumnMapping(SQLModel, table=True):
    """How a facilitator said a plan file's columns read, remembered for files of the same shape."""

    __table_args__ = (UniqueConstraint("facilitator_id", "shape"),)
    id: int | None = Field(default=None, primary_key=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)
    shape: str = Field(max_length=64)  # plan_columns.shape_of(header row)
    mapping: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))  # column -> field
    updated_at: datetime = Field(default_factory=utcnow)


class Event(SQLModel, table=True):
    """The append-only log of every accepted action (replay, audit, export).

    The migration adds triggers that refuse UPDATE and DELETE on this table.
    """

    id: int | None = Field(default=None, primary_key=True)
    seance_id: int | None = Field(default=None, foreign_key="seance.id", index=True)
    perimetre_id: int | None = Field(default=None, foreign_key="perimetre.id", index=True)
    at: datetime = Field(default_factory=utcnow)
    kind: str = Field(max_length=60)
    actor: str = Field(max_length=60)  # "facilitator:3", "participant:12", "system"
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Job(SQLModel, table=True):
    """A piece of heavy work (an export, an import) done by the worker, and its file.

    The worker writes its progress here; the facilitator's page reads it. Seen and
    fetched only by the séance's facilitators (or, without a séance, by whoever asked).
    """

    id: str = Field(primary_key=True, max_length=32)  # random: a job's URL is not guessable
    kind: str = Field(max_length=40)  # see services.jobs.KINDS
    seance_id: int | None = Field(default=None, foreign_key="seance.id", index=True)
    facilitator_id: int = Field(foreign_key="facilitator.id", index=True)  # who asked
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    locale: str = Field(default="fr", max_length=5)  # the language the file is written in
    # queued, running, done, failed, cancelled; expired once its file is removed (services.jobs.sweep)
    status: str = Field(default="queued", max_length=12)
    progress: int = 0  # percent
    step: str = Field(default="", max_length=200)  # what it is doing, in `locale`
    error: str = Field(default="", max_length=500)  # why it failed, in `locale`
    filename: str = Field(default="", max_length=200)  # the name the file is offered under
    mimetype: str = Field(default="", max_length=100)
    size: int = 0  # bytes
    result: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    finished_at: datetime | None = None
