"""Keeping the PostgreSQL driver from blocking the event loop.

psycopg2 talks to the server through libpq, in C, so a query waits inside
the driver where no green thread can run. eventlet.monkey_patch() installs a
wait callback that hands the wait to its hub (psycopg2 counts as a module it
patches); gevent's patch_all() does not, so under gevent one slow query would
stall every phone served by the process. `cooperate_with_gevent()` installs
the equivalent callback for gevent: libpq runs in asynchronous mode and each
wait for the socket yields to the other greenlets.
"""


def cooperate_with_gevent():
    """Make psycopg2 wait for its socket through gevent. Call once, after
    gevent's monkey patching and before the first connection is opened."""
    import psycopg2
    from gevent.socket import wait_read, wait_write
    from psycopg2 import extensions

    def wait(connection, timeout=None):
        while True:
            state = connection.poll()
            if state == extensions.POLL_OK:
                return
            if state == extensions.POLL_READ:
                wait_read(connection.fileno(), timeout=timeout)
            elif state == extensions.POLL_WRITE:
                wait_write(connection.fileno(), timeout=timeout)
            else:
                raise psycopg2.OperationalError(f"unexpected state from psycopg2 poll(): {state}")

    extensions.set_wait_callback(wait)
