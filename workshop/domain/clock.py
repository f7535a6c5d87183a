"""The séance's clock: every date and time a person reads is in the séance's time zone.

The database stores instants in UTC (aware on PostgreSQL, naive on SQLite: naive
means UTC here). A document, a screen or an export that shows an instant to a
person converts it with `local()` first, so that an export made at 00:30 on
2 December in Paris says 2 December everywhere (PDF, XLSX, CSV).
"""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

#: The séances are French: Europe/Paris (CET/CEST). Flask-Babel's default time zone
#: is set from this name too (config.py), so templates and exports agree.
SEANCE_TIMEZONE_NAME = "Europe/Paris"
SEANCE_TIMEZONE = ZoneInfo(SEANCE_TIMEZONE_NAME)


def as_utc(instant: datetime) -> datetime:
    """`instant` aware: SQLite gives naive datetimes back, which mean UTC here."""
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


def local(instant: datetime) -> datetime:
    """`instant` (aware, or naive meaning UTC) as an aware datetime in the séance's zone."""
    return as_utc(instant).astimezone(SEANCE_TIMEZONE)


def local_date(instant: datetime) -> date:
    """The calendar day a person in the séance's zone calls `instant`."""
    return local(instant).date()
