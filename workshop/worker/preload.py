"""What the fork server of the job processes imports once (worker.tasks.run_isolated): the
modules `create_app` and the jobs load, so a job's process starts without importing them."""

import flask_babel  # noqa: F401
import weasyprint  # noqa: F401

import workshop.cli  # noqa: F401
import workshop.identity  # noqa: F401
import workshop.live  # noqa: F401
import workshop.web.auth  # noqa: F401
import workshop.web.clock  # noqa: F401
import workshop.web.exports  # noqa: F401
import workshop.web.guards  # noqa: F401
import workshop.web.jobs  # noqa: F401
import workshop.web.lang  # noqa: F401
import workshop.web.perimetres  # noqa: F401
import workshop.web.phone  # noqa: F401
import workshop.web.pilotage  # noqa: F401
import workshop.web.plan  # noqa: F401
import workshop.web.plans  # noqa: F401
import workshop.web.screen  # noqa: F401
import workshop.web.seances  # noqa: F401
import workshop.worker.tasks  # noqa: F401
