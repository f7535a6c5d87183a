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

# The plan: a séance's cost per trainee and day of a payant theme (beyond, a typing error);
# how many years a need's demand may wait to be pooled; how many of a facilitator's other
# séances (the most recent) are looked at for pooling across perimeters.
COST_PER_DAY_MAX = 10_000  # euros
POOL_YEARS_MAX = 3
POOLING_SEANCES_MAX = 20

DOTS_MAX = 50  # a dot budget, a cap per need, a vote's dots
MERGE_PICK_MAX = 30  # needs ticked for one merge
TIMER_MINUTES_MAX = 240

# Request bodies, in bytes: a plan file, a séance export (JSON), and any other form.
PLAN_FILE_MAX = 5 * 1024 * 1024
SEANCE_FILE_MAX = 20 * 1024 * 1024
FORM_MAX = 2 * 1024 * 1024
JSON_DEPTH_MAX = 64  # a séance export nests 4 deep; deeper is not ours

# An uploaded plan file (services/plan_reading.py): what a spreadsheet may unpack to, its
# compression ratio (XLSX is about 5 to 10), its members, rows, columns and spanned cells.
PLAN_FILE_UNZIPPED_MAX = 50 * 1024 * 1024
PLAN_FILE_RATIO_MAX = 100
PLAN_FILE_MEMBERS_MAX = 2000
PLAN_ROWS_MAX = 20_000
PLAN_COLUMNS_MAX = 40
PLAN_CELLS_MAX = 2_000_000  # rows x columns a sheet may span before its cells are loaded

# A theme of the catalogue (domain/planning/model.theme_problems): days of a session (or of a
# renewal), years between renewals.
THEME_DAYS_MAX = 60
RECURRENCE_YEARS_MAX = 20

# Rows of a plan file the preview page shows (those that need a look first; all are counted and
# imported): beyond a few hundred the page takes seconds to render and to scroll.
PREVIEW_ROWS_SHOWN = 300

# Rows a JSON re-import writes in one transaction (services.seance_imports): each slice holds the
# database's write lock a few milliseconds, so that the room's votes go through between two.
IMPORT_SLICE_ROWS = 500

# Jobs (services.jobs) a facilitator may have waiting or running at once: for one séance (or
# outside any séance: plan previews, imports), and in all. A double click or an impatient
# reload then never fills the worker's queue for the whole instance.
JOBS_ACTIVE_PER_SEANCE = 3
JOBS_ACTIVE_PER_FACILITATOR = 6

# A phone action's id (client-made, e.g. a random base-36 string), and how long the server
# remembers the actions it applied (a double tap, a resend after a reconnection: minutes).
ACTION_ID_MAX = 64
ACTION_MEMORY_HOURS = 24
