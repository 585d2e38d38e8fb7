"""Production entry point: `python wsgi.py` serves Tavoli; `app` is the WSGI app.

The async library is monkey-patched before anything else is imported, as
eventlet and gevent require; config.py itself imports only the standard
library, so reading the setting first is safe.
"""

from config import config_for

ASYNC_MODE = config_for().SOCKETIO_ASYNC_MODE

if ASYNC_MODE == "eventlet":
    import eventlet

    eventlet.monkey_patch()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()

from workshop import create_app  # noqa: E402
from workshop.extensions import socketio  # noqa: E402
from workshop.serve import announce, serve  # noqa: E402

app = create_app()

if __name__ == "__main__":
    announce(app)
    serve(app, socketio)
