"""Every bound a form, a socket payload, an import or a rule checks, written once.

The input schemas (`workshop/schemas.py`) are built from these, the services
clip and check with them, and the domain rules refuse with them: change a
limit here and every door follows.
"""

ID_MAX = 2**31 - 1  # ids are the base's integers: a larger one names nothing

TITLE_MAX = 200  # characters of a need's (or a séance's, a périmètre's) title
DETAILS_MAX = 2000  # characters of a need's details
# Agents per collectivité, need and year: more than any collectivité of the Nord employs
# for one training.
MAX_AGENTS = 5000

YEAR_MIN, YEAR_MAX = 2000, 2100  # a plan's years
HORIZON_YEARS_MAX = 10  # years in a plan's horizon
CAPACITY_MAX = 2000  # training days a year

DOTS_MAX = 50  # a dot budget, a cap per need, a vote's dots
TIMER_MINUTES_MAX = 240

# Request bodies, in bytes: a plan file, a séance export (JSON), and any other form.
PLAN_FILE_MAX = 5 * 1024 * 1024
SEANCE_FILE_MAX = 20 * 1024 * 1024
FORM_MAX = 2 * 1024 * 1024
JSON_DEPTH_MAX = 64  # a séance export nests 4 deep; deeper is not ours

# A phone action's id (client-made, e.g. a random base-36 string), and how long the server
# remembers the actions it applied (a double tap, a resend after a reconnection: minutes).
ACTION_ID_MAX = 64
ACTION_MEMORY_HOURS = 24
