"""Upgrading a database that already holds a meeting keeps every row."""

import flask_migrate
from sqlalchemy import text

from config import TestingConfig
from workshop import create_app
from workshop.extensions import db

BEFORE_WHOLE_EVENT = "13bb2cd8ce70"

ROWS = [
    "INSERT INTO account (id, email, name, password_hash, role, created_at) "
    "VALUES (1, 'a@example.org', 'Anna', 'x', 'organizer', '2026-05-17 09:00:00')",
    "INSERT INTO event (id, title, language, dots_per_participant, max_dots_per_need, created_at) "
    "VALUES (1, 'Assemblea', 'it', 3, 1, '2026-05-17 09:00:00')",
    "INSERT INTO theme (id, event_id, name, colour, description, position) VALUES (1, 1, 'Casa', '#112233', '', 0)",
    "INSERT INTO working_table (id, theme_id, name, join_code, phase, version, dots_per_participant, "
    "max_dots_per_need, created_at) VALUES (1, 1, 'Tavolo 1', 'ABCDEF', 'vote', 4, 3, 1, '2026-05-17 09:00:00')",
    "INSERT INTO phase_change (table_id, account_id, from_phase, to_phase, at) "
    "VALUES (1, 1, 'collect', 'vote', '2026-05-17 09:30:00')",
    "INSERT INTO participant (id, event_id, device_digest, created_at, last_seen_at) "
    "VALUES (1, 1, 'digest', '2026-05-17 09:00:00', '2026-05-17 09:00:00')",
    "INSERT INTO need (id, table_id, participant_id, text, created_at) VALUES (1, 1, 1, 'Case popolari', "
    "'2026-05-17 09:10:00')",
    "INSERT INTO table_membership (participant_id, table_id, dots_used, joined_at) "
    "VALUES (1, 1, 1, '2026-05-17 09:00:00')",
    "INSERT INTO dot (id, table_id, need_id, participant_id, created_at) VALUES (1, 1, 1, 1, '2026-05-17 09:40:00')",
]


def counts():
    return {name: db.session.execute(text(f"SELECT count(*) FROM {name}")).scalar()  # noqa: S608
            for name in ("event", "working_table", "participant", "need", "table_membership", "dot")}


def test_upgrading_a_database_with_a_meeting_in_it_keeps_every_row(tmp_path):
    app = create_app(TestingConfig, instance_path=str(tmp_path), SECRET_KEY="migrations")
    with app.app_context():
        flask_migrate.upgrade(revision=BEFORE_WHOLE_EVENT)
        for statement in ROWS:
            db.session.execute(text(statement))
        db.session.commit()
        before = counts()
        db.session.remove()  # the migration needs the database to itself

        flask_migrate.upgrade()
        assert counts() == before == {"event": 1, "working_table": 1, "participant": 1, "need": 1,
                                      "table_membership": 1, "dot": 1}
        # Existing events stay usable by phones; the phase log moved into the facilitation log.
        assert db.session.execute(text("SELECT status FROM event")).scalar() == "live"
        log = db.session.execute(text("SELECT action, detail, table_id FROM facilitation_log")).all()
        assert [(action, table_id) for action, _detail, table_id in log] == [("phase", 1)]
        assert '"from": "collect"' in log[0][1] and '"to": "vote"' in log[0][1]
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1

        db.session.remove()
        flask_migrate.downgrade(revision=BEFORE_WHOLE_EVENT)
        assert counts() == before
        assert db.session.execute(text("SELECT from_phase, to_phase FROM phase_change")).all() == [("collect", "vote")]
        db.session.remove()
        db.engine.dispose()
