"""Extensions created unbound; create_app() binds them to an app."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO
from flask_wtf import CSRFProtect

socketio = SocketIO()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
# No default limit: a room of 300 phones behind one venue NAT must join freely; the
# routes that guess (login, join codes) count their failures only.
limiter = Limiter(key_func=get_remote_address, default_limits=[])
