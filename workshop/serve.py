"""Serving the app in one process, and what it tells the organizer at start."""

import gc
import logging
import socket

from sqlalchemy import inspect

from workshop.accounts.operations import issue_setup_link, organizer_exists
from workshop.core.database import unit_of_work
from workshop.core.network import lan_address, public_base_url
from workshop.demo.build import demo_events
from workshop.events.cli import purge_report, run_purge
from workshop.extensions import db
from workshop.tables.rehearsal import stop_rehearsals_left_running

log = logging.getLogger(__name__)


def announce(app):
    """Print, in this order, the address phones should open, a fresh one-time
    set-up link while there is no organizer yet (else where organizers log
    in), and how to load the demo event; apply the retention period of
    personal data (DATA_RETENTION_DAYS); stop the rehearsals whose simulator
    ended with the previous process."""
    config = app.config
    with app.app_context():
        if not inspect(db.engine).has_table("account"):
            raise SystemExit("The database has no tables yet: run `make migrate` (flask --app wsgi db upgrade).")
        base_url = public_base_url(config["PUBLIC_BASE_URL"], None, config["PORT"])
        lines = ["", "Tavoli is starting.", f"  Phones and laptops on this network open: {base_url}"]
        if not config["PUBLIC_BASE_URL"] and lan_address() is None:
            lines.append("  (No network address found: phones cannot reach this machine. Set PUBLIC_BASE_URL.)")
        if not organizer_exists():
            with unit_of_work():
                token = issue_setup_link(config["SECRET_KEY"], config["SETUP_LINK_HOURS"])
            lines.append(f"  Create the first organizer account (one-time link): {base_url}/setup/{token}")
        else:
            lines.append(f"  Organizers log in at: {base_url}/login")
        if demo_events():
            lines.append("  The demo event is loaded; remove it with `flask --app wsgi demo --remove`, "
                         "or the button on its page.")
        else:
            lines.append("  To see a whole morning working, load the demo event: `flask --app wsgi demo`, "
                         "or the button on your dashboard once logged in.")
        with unit_of_work():
            stopped = stop_rehearsals_left_running()
        if stopped:
            lines.append(f"  Rehearsals stopped by the restart: {stopped} (press Start rehearsal in their consoles).")
        days = config["DATA_RETENTION_DAYS"]
        purged = run_purge(days)
        if purged:
            lines.append(f"  Retention period ({days} days):")
            lines.extend(f"    {line}" for line in purge_report(purged, days))
        db.session.remove()
    print("\n".join(lines) + "\n", flush=True)


def listening_socket(host, port, backlog, factory=socket.create_server):
    """The server's listening socket: a backlog sized for a QR-scan burst, and
    Nagle's algorithm off (accepted connections inherit it on Linux and BSD).

    With Nagle on, the second small message of an action (the acknowledgement
    after a broadcast) waits for the phone's delayed TCP acknowledgement:
    measured 40 ms added to every post and dot on loopback.
    """
    listener = factory((host, port), backlog=backlog)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return listener


def serve(app, socketio):
    """Serve with a connection limit and listen backlog sized for a hall.

    eventlet's defaults (1,024 connections; a backlog of 50 under
    socketio.run()) make part of a QR-scan burst hang in the handshake.
    """
    config = app.config
    host, port, mode = config["HOST"], config["PORT"], config["SOCKETIO_ASYNC_MODE"]
    # With thousands of connections the default thresholds make the garbage
    # collector run constantly (measured: 40% of the time at 5,000 clients).
    gc.set_threshold(50000, 20, 100)
    log.info("serving", extra={"host": host, "port": port, "async_mode": mode})
    if mode == "eventlet":
        import eventlet
        import eventlet.wsgi

        listener = listening_socket(host, port, config["SERVER_BACKLOG"], factory=eventlet.listen)
        # log_output=False: eventlet's access log prints each client's address
        # and request line (a one-time token in /invite/<token>); the app keeps
        # its own, without either (SERVER_ACCESS_LOG, workshop/core/logs.py).
        eventlet.wsgi.server(listener, app, max_size=config["SERVER_MAX_CONNECTIONS"], log_output=False)
    elif mode == "gevent":
        from gevent.pool import Pool
        from gevent.pywsgi import WSGIServer

        server = WSGIServer(
            listening_socket(host, port, config["SERVER_BACKLOG"]), app, spawn=Pool(config["SERVER_MAX_CONNECTIONS"]),
            # As for eventlet: gevent's access log and its log of malformed
            # requests print the client's address. Errors in the app itself
            # still reach standard error, without the request's headers.
            log=None, error_log=None,
        )
        server.serve_forever()
    else:  # threading: development only
        # Werkzeug logs every request with the client's address.
        logging.getLogger("werkzeug").disabled = True
        socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=True, log_output=False)
