"""Keeping the PostgreSQL driver from blocking the event loop.

psycopg2 talks to the server through libpq, in C, so a query waits inside
the driver where no green thread can run. eventlet.monkey_patch() installs a
wait callback that hands the wait to its hub (psycopg2 counts as a module it
patches); gevent's patch_all() does not, so under gevent one slow query would
stall every phone served by the process. psycogreen installs gevent's
equivalent: libpq runs in asynchronous mode and each wait for the socket
yields to the other greenlets.
"""


def cooperate_with_gevent():
    """Make psycopg2 wait for its socket through gevent. Call once, after
    gevent's monkey patching and before the first connection is opened."""
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()
