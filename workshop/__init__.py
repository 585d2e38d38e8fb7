"""Tavoli: live participatory meetings. create_app() builds the application."""

import logging
import os

from flask import Flask

from config import config_for
from workshop.core.database import configure_engine, default_database_uri, engine_options
from workshop.core.logs import configure_logging, register_access_log
from workshop.core.network import socket_origin_check
from workshop.core.notify import notifier
from workshop.core.security import load_or_create_secret_key
from workshop.extensions import babel, compress, csrf, db, limiter, login_manager, migrate, socketio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(config_class=None, instance_path=None, **overrides):
    """Build the app from a config class (TAVOLI_ENV by default) plus overrides."""
    app = Flask(
        __name__,
        instance_path=instance_path or os.environ.get("TAVOLI_INSTANCE") or os.path.join(ROOT, "instance"),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.config.from_object(config_class or config_for())
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_or_create_secret_key(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = default_database_uri(app.instance_path)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(
        app.config["SQLALCHEMY_DATABASE_URI"], app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.config["SESSION_COOKIE_SECURE"] = app.config["COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_SECURE"] = app.config["COOKIE_SECURE"]
    app.config["REMEMBER_COOKIE_HTTPONLY"] = True
    configure_logging(app.config["LOG_FORMAT"])

    _init_extensions(app)
    _register_blueprints(app)
    if app.config["SERVER_ACCESS_LOG"]:
        register_access_log(app)
    return app


def _init_extensions(app):
    # Socket.IO handlers register themselves on import, and must be imported
    # before socketio.init_app(): once a server exists, @socketio.on binds to
    # that server only, and an app created later would have no handlers.
    from workshop.contributions import sockets as _contribution_sockets  # noqa: F401
    from workshop.contributions.state import table_tallies
    from workshop.core.sockets import CheckedPacket
    from workshop.core.web import select_locale
    from workshop.participants import sockets as _participant_sockets  # noqa: F401
    from workshop.plenary import sockets as _plenary_sockets  # noqa: F401
    from workshop.plenary.state import plenary_tallies
    from workshop.tables import sockets as _table_sockets  # noqa: F401
    from workshop.tables.presence import presence

    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, app.config["SQLITE_SYNCHRONOUS"])
    migrate.init_app(app, db, directory=os.path.join(ROOT, "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    babel.init_app(app, locale_selector=select_locale,
                   default_translation_directories=os.path.join(ROOT, "workshop", "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    limiter.init_app(app)
    # Flask-Limiter logs the key of every limit reached: keys are pseudonymous
    # hashes, but logs keep no participant identifiers at all.
    logging.getLogger("flask-limiter").setLevel(logging.WARNING)

    extra_origins = [origin for origin in (app.config["SOCKETIO_CORS_ORIGINS"] or "").split(",") if origin.strip()]
    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["SOCKETIO_MESSAGE_QUEUE"],
        cors_allowed_origins=socket_origin_check(app.config["PUBLIC_BASE_URL"], extra_origins),
        max_http_buffer_size=app.config["SOCKETIO_MAX_MESSAGE_BYTES"],
        serializer=CheckedPacket,
        ping_interval=20,
        ping_timeout=20,
    )
    notifier.init_app(app, socketio, [table_tallies, plenary_tallies])
    presence.init_app(app, socketio)


def _register_blueprints(app):
    from workshop.accounts import cli as accounts_cli
    from workshop.accounts.models import Account
    from workshop.accounts.views import blueprint as accounts
    from workshop.core.web import RecordIdConverter, register_error_handlers
    from workshop.core.web import blueprint as core
    from workshop.demo import cli as demo_cli
    from workshop.events import cli as events_cli
    from workshop.events.organisation_views import blueprint as organisations
    from workshop.events.views import blueprint as events
    from workshop.exports import cli as exports_cli
    from workshop.exports.views import blueprint as exports
    from workshop.help.views import blueprint as help_pages
    from workshop.participants.views import blueprint as participants
    from workshop.plenary.views import blueprint as plenary
    from workshop.tables.views import blueprint as tables

    app.url_map.converters["int"] = RecordIdConverter  # before any route is added

    @login_manager.user_loader
    def load_account(account_id):
        return db.session.get(Account, int(account_id)) if account_id.isdigit() else None

    for blueprint in (core, accounts, events, organisations, participants, tables, plenary, exports, help_pages):
        app.register_blueprint(blueprint)
    accounts_cli.register(app)
    events_cli.register(app)
    exports_cli.register(app)
    demo_cli.register(app)
    register_error_handlers(app)
