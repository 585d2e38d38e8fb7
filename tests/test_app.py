"""The application itself: factory, health, settings, migrations, languages."""

import os
import stat
import subprocess
import sys

from babel.messages.pofile import read_po

from config import TestingConfig
from workshop import ROOT, create_app


def test_factory_uses_the_testing_config(app):
    assert app.testing
    assert not create_app(TestingConfig, instance_path=app.instance_path, TESTING=False).testing


def test_healthz_answers_once_the_app_is_ready(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_the_secret_key_is_generated_once_and_kept_private(tmp_path):
    first = create_app(TestingConfig, instance_path=str(tmp_path))
    second = create_app(TestingConfig, instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text().strip()
    assert len(first.config["SECRET_KEY"]) == 64
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600


def test_settings_come_from_the_environment():
    code = ("import config; c = config.config_for(); "
            "print(c.PORT, c.SOCKETIO_ASYNC_MODE, c.PUBLIC_BASE_URL, c.COOKIE_SECURE)")
    env = {**os.environ, "PORT": "8123", "SOCKETIO_ASYNC_MODE": "gevent", "PUBLIC_BASE_URL": "https://t.example"}
    output = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout.split()
    assert output == ["8123", "gevent", "https://t.example", "True"]


def test_sqlite_runs_in_wal_mode_with_foreign_keys(app):
    from sqlalchemy import text

    from workshop.extensions import db

    with app.app_context():
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_migrations_match_the_models(app, runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_responses_carry_security_headers(client):
    headers = client.get("/").headers
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"


def test_italian_is_the_default_and_english_can_be_chosen(client):
    assert "Entra nel tuo tavolo" in client.get("/").get_data(as_text=True)
    assert "Join your table" in client.get("/", headers={"Accept-Language": "en-GB,en"}).get_data(as_text=True)
    response = client.get("/lang/en?next=/login")
    assert response.headers["Location"] == "/login"
    assert "For organizers and facilitators" in client.get("/login").get_data(as_text=True)
    assert client.get("/lang/en?next=https://evil.example").headers["Location"] == "/"


def test_both_catalogs_translate_every_string_in_the_code(tmp_path):
    template = tmp_path / "messages.pot"
    pybabel = os.path.join(os.path.dirname(sys.executable), "pybabel")
    subprocess.run([pybabel, "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(template), "."],
                   cwd=ROOT, check=True, capture_output=True)
    with open(template, "rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    for language in ("it", "en"):
        with open(os.path.join(ROOT, "workshop", "translations", language, "LC_MESSAGES", "messages.po"), "rb") as f:
            catalog = read_po(f)
        translated = {m.id for m in catalog if m.id and m.string and all(m.string if isinstance(m.string, tuple)
                                                                          else [m.string]) and not m.fuzzy}
        missing = wanted - translated
        assert not missing, f"{language} lacks: {sorted(map(str, missing))[:5]}"
