"""Production entry point: `python wsgi.py` serves Tavoli; `app` is the WSGI app.

The async library is monkey-patched before anything else is imported, as
eventlet and gevent require; config.py itself imports only the standard
library, so reading the setting first is safe. The `flask` command line
(migrations, create-organizer) imports Flask before this file and serves
nothing, so it is left unpatched: patching that late only spews warnings.

eventlet's patching also makes the PostgreSQL driver (psycopg2) wait for the
database cooperatively; gevent's does not, so under gevent the driver gets a
wait callback (workshop/core/green.py).
"""

import sys
import warnings

from config import config_for

# eventlet announces its deprecation on import. It stays the default by the
# product owner's choice (gevent is one setting away: SOCKETIO_ASYNC_MODE).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

ASYNC_MODE = config_for().SOCKETIO_ASYNC_MODE
SERVING = "flask" not in sys.modules

if SERVING and ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif SERVING and ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    from workshop.core.green import cooperate_with_gevent

    cooperate_with_gevent()

from workshop import create_app  # noqa: E402
from workshop.extensions import socketio  # noqa: E402
from workshop.serve import announce, serve  # noqa: E402

app = create_app()

if __name__ == "__main__":
    announce(app)
    serve(app, socketio)
