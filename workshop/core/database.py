"""Database set-up and the unit of work every change goes through.

SQLite (the embedded default) runs in WAL mode with a busy timeout and foreign
keys on, and by default syncs every commit to disk (synchronous=FULL): an
acknowledged action survives a power cut, not only a crash of the server
process. Write units begin with BEGIN IMMEDIATE, so two writers queue for the
lock up front instead of one failing with "database is locked" when it tries
to upgrade a read lock; read-only work begins a plain deferred transaction and
never blocks a writer. Under eventlet a SQLite call blocks the whole process,
so no code may yield to another greenlet while it holds a write transaction:
broadcasts go out after commit (workshop/core/notify.py), never inside.
"""

from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from workshop.extensions import db

_write_intent = ContextVar("tavoli_write_intent", default=False)


def default_database_uri(instance_path):
    return "sqlite:///" + str(Path(instance_path) / "tavoli.sqlite3")


def engine_options(uri, busy_timeout_ms):
    """Engine options for the configured database.

    hide_parameters keeps the values of a failed statement out of its error
    message, and so out of the logs: they can be a participant's name or
    device digest.
    """
    if uri.startswith("sqlite"):
        # isolation_level=None stops pysqlite from issuing its own BEGIN, so
        # the listener below decides how each transaction begins.
        return {"connect_args": {"isolation_level": None, "timeout": busy_timeout_ms / 1000},
                "hide_parameters": True}
    return {"pool_pre_ping": True, "hide_parameters": True}


SQLITE_SYNCHRONOUS_LEVELS = ("FULL", "NORMAL")


def configure_engine(engine, sqlite_synchronous):
    """Set up every new connection of the app's engine (SQLite only).

    sqlite_synchronous: "FULL" syncs the write-ahead log at every commit, so a
    commit (and the acknowledgement sent after it) survives a power cut;
    "NORMAL" syncs only at checkpoints: faster writes, but a power cut or an
    operating-system crash may take back the last commits. Either survives a
    crash of the server process.
    """
    if engine.dialect.name != "sqlite":
        return
    if sqlite_synchronous not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {', '.join(SQLITE_SYNCHRONOUS_LEVELS)}")

    @event.listens_for(engine, "connect")
    def _configure_sqlite(dbapi_connection, connection_record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={sqlite_synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        # Deleted and overwritten content is zeroed in the file, not left in
        # free pages where a copy of the database would still show it.
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")


@contextmanager
def unit_of_work():
    """One write transaction: commit at the end, roll back on any exception.

    Broadcasts recorded inside go out only after the commit. Any read-only
    transaction open before is closed first. On SQLite the transaction
    begins immediately (BEGIN IMMEDIATE), so writers take turns and a rule
    checked here still holds at commit. PostgreSQL runs it at READ COMMITTED,
    where a check read earlier in the block may be stale by commit time: rules
    that concurrent writers could break (the dot budget, the per-need cap)
    are therefore enforced by conditional updates whose row count is checked.
    """
    token = _write_intent.set(True)
    session = db.session
    session.rollback()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        _write_intent.reset(token)


def forget_deleted_pages():
    """After deleting personal data: on SQLite, copy the write-ahead log into
    the database file and empty it, so that no older copy of a deleted row is
    left in the log. Returns False if readers kept part of the log busy (the
    rest goes at the next checkpoint). PostgreSQL reclaims dead rows by VACUUM.
    """
    if db.engine.dialect.name != "sqlite":
        return True
    db.session.remove()
    # A plain DB-API connection: a checkpoint cannot run inside a transaction,
    # and SQLAlchemy's connections always begin one.
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        busy, _log_pages, _moved = cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        cursor.close()
    finally:
        connection.close()
    return not busy


def run_in_unit_of_work(work, *args, **kwargs):
    """Run work() in a unit of work, once more if it lost a uniqueness race.

    Two requests carrying the same client action id (or two tabs joining at
    the same moment) can both pass the "does it exist?" check on PostgreSQL;
    the database's unique constraint stops the second, and re-running it then
    finds the first one's row and answers the same.
    """
    try:
        with unit_of_work():
            return work(*args, **kwargs)
    except IntegrityError:
        with unit_of_work():
            return work(*args, **kwargs)
