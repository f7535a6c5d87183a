"""Pure domain rules: no Flask, Socket.IO or database import (a test checks it)."""
