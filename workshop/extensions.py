"""Extensions created unbound; create_app() binds them to an app."""

from flask_babel import Babel
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

socketio = SocketIO()
csrf = CSRFProtect()
babel = Babel()
