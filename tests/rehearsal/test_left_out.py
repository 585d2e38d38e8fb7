"""What simulated participants do counts at their table, and nowhere else:
not in the plenary, not in any export. And their dots obey the same budget
and cap as a person's."""

import csv
import io
import json
import subprocess

import openpyxl
from sqlalchemy import func, select

from tests.conftest import login, set_phase
from tests.rehearsal.conftest import rehearsing_table, start_without_loop, steps
from workshop.accounts.models import Account
from workshop.contributions.models import Dot, Need
from workshop.core.database import unit_of_work
from workshop.core.notify import PLENARY_NAMESPACE
from workshop.events.models import Event, OrganisationKind
from workshop.events.organisations import add_organisation, set_event_organisations
from workshop.exports.archive_import import import_archive
from workshop.extensions import db, socketio
from workshop.participants.models import Membership, Participant
from workshop.plenary.state import plenary_snapshot
from workshop.tables.models import Phase, WorkingTable
from workshop.tables.operations import create_table
from workshop.tables.rehearsal import REHEARSAL_NEEDS

REAL_ONE, REAL_TWO = "Real need one", "Real need two"


def _until_idle(app, table_id, limit=200):
    done = steps(app, table_id, limit)
    assert done[-1] is None, "the simulator should run out of things to do"
    return [step for step in done if step is not None]


def test_simulated_dots_keep_the_budget_and_the_cap(app, world):
    at = rehearsing_table(world, dots=3, max_per_need=1)
    start_without_loop(app, at, participants=5)
    posted = _until_idle(app, at.table.id)
    assert [step["action"] for step in posted] == ["join"] * 5 + ["post"] * 10
    set_phase(at.console, Phase.VOTE)
    given = _until_idle(app, at.table.id)
    assert [step["action"] for step in given] == ["dot"] * 15  # five participants, three dots each
    with app.app_context():
        for membership in db.session.scalars(select(Membership)):
            live = db.session.scalars(select(Dot.need_id).where(
                Dot.participant_id == membership.participant_id, Dot.set_aside_by_id.is_(None))).all()
            assert membership.dots_used == len(live) == 3
            assert len(set(live)) == len(live)  # at most one dot per need
    # The table's own ranking counts them: that is what the projector rehearses.
    ranking = at.console.emit("sync", {})["snapshot"]["ranking"]
    assert sum(entry["dots"] for entry in ranking) == 15
    assert all(entry["simulated"] for entry in ranking)


def _organisation(app, organizer, event_id):
    with app.app_context(), unit_of_work():
        actor = db.session.get(Account, organizer.id)
        made = add_organisation(actor, "Cooperativa Sociale Il Ponte", OrganisationKind.SOCIAL_COOPERATIVE)
        set_event_organisations(actor, db.session.get(Event, event_id), [made.id])
        db.session.get(Event, event_id).language = "en"
        return made.id


def _morning(app, world):
    """A real phone and three simulated participants at one table: the real
    phone posts two needs, gives one dot to each of a real and a simulated
    need; the simulated participants post and spend all their dots, on real
    needs too."""
    at = rehearsing_table(world, dots=3, max_per_need=1)
    with app.app_context():
        event_id = db.session.get(WorkingTable, at.table.id).event.id
    organisation = _organisation(app, at.organizer, event_id)
    phone = world.phone(at.table)
    assert phone.emit("set_profile", {"name": "Ada", "organisation": organisation})["ok"]
    real_one = phone.post(REAL_ONE)["need"]["id"]
    assert phone.post(REAL_TWO)["ok"]
    start_without_loop(app, at)
    _until_idle(app, at.table.id)
    set_phase(at.console, Phase.VOTE)
    with app.app_context():
        simulated_need = db.session.scalar(select(Need.id).where(Need.text.in_(REHEARSAL_NEEDS["en"])))
    assert phone.dot(real_one)["ok"] and phone.dot(simulated_need)["ok"]
    given = _until_idle(app, at.table.id)
    assert len(given) == 9
    with app.app_context():
        on_real = db.session.scalar(select(func.count(Dot.id)).join(Participant, Participant.id == Dot.participant_id)
                                    .where(Participant.simulated.is_(True), Dot.need_id.in_(
                                        select(Need.id).where(Need.text.in_([REAL_ONE, REAL_TWO])))))
    assert on_real > 0, "the simulated participants should have dotted a real need too (seeded)"
    return at, event_id, phone


def test_exports_and_the_plenary_count_only_real_people(app, world):
    at, event_id, _phone = _morning(app, world)
    http = app.test_client()
    assert login(http, "organizer@example.org").status_code == 302
    base = f"/organize/events/{event_id}/export"

    text = http.get(f"{base}/csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [(row["Need"], row["Dots on this need"]) for row in rows] == [(REAL_ONE, "1"), (REAL_TWO, "0")]
    table_csv = http.get(f"/tables/{at.table.id}/export/csv").get_data(as_text=True)
    table_rows = list(csv.DictReader(io.StringIO(table_csv[1:])))
    assert [row["Need"] for row in table_rows] == [REAL_ONE, REAL_TWO]

    workbook = openpyxl.load_workbook(io.BytesIO(http.get(f"{base}/xlsx").data))
    summary = {row[0]: row[1] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]}
    assert summary["Participants"] == 1
    needs_sheet = list(workbook["Needs"].iter_rows(values_only=True))
    assert [row[4] for row in needs_sheet[1:]] == [REAL_ONE, REAL_TWO]

    archive = json.loads(http.get(f"{base}/json").data)
    assert [participant["display_name"] for participant in archive["participants"]] == ["Ada"]
    # Its budget counts the dot on a simulated need (2); the archive, which leaves that dot out, says 1.
    assert archive["participants"][0]["joined"][0]["dots_used"] == 1
    assert [need["text"] for need in archive["needs"]] == [REAL_ONE, REAL_TWO]
    assert len(archive["dots"]) == 1
    ranked = archive["results"]["tables"][0]["ranking"]
    assert [(entry["text"], entry["dots"]) for entry in ranked] == [(REAL_ONE, 1), (REAL_TWO, 0)]
    with app.app_context(), unit_of_work():  # and it is whole: it imports again, its checks passing
        imported = import_archive(archive, db.session.get(Account, at.organizer.id)).event
        assert db.session.scalar(select(func.count(Participant.id)).where(Participant.event_id == imported.id)) == 1

    report = http.get(f"{base}/report").get_data(as_text=True)
    assert REAL_ONE in report and REAL_TWO in report
    assert not any(text in report for text in REHEARSAL_NEEDS["en"])
    assert "Simulated" not in report
    pdf = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=http.get(f"{base}/pdf").data,
                         capture_output=True, check=True).stdout.decode()
    assert REAL_ONE in pdf and not any(text in pdf for text in REHEARSAL_NEEDS["en"])
    decidim = http.get(f"{base}/decidim").get_data(as_text=True)
    assert REAL_ONE in decidim and not any(text in decidim for text in REHEARSAL_NEEDS["en"])

    with app.app_context():
        plenary = plenary_snapshot(db.session.get(Event, event_id))
    assert plenary["counters"] == {"participants": 1, "organisations": 1, "needs": 2, "dots": 1}
    assert [(entry["text"], entry["dots"]) for entry in plenary["themes"][0]["ranking"]] == [(REAL_ONE, 1),
                                                                                              (REAL_TWO, 0)]
    # ...while the table's own projector counts everyone.
    counters = at.projector.emit("sync", {})["snapshot"]["counters"]
    assert (counters["joined"], counters["simulated"], counters["dots"]) == (1, 3, 11)


def test_the_plenary_cannot_merge_a_simulated_need(app, world):
    at, event_id, _phone = _morning(app, world)
    with app.app_context(), unit_of_work():
        event = db.session.get(Event, event_id)
        theme = event.themes[0]
        other = create_table(theme, "Table 2")
        db.session.flush()
        real = Need(table_id=other.id, text="A need of the other table")
        db.session.add(real)
        db.session.flush()
        ids = (real.id, db.session.scalar(select(Need.id).where(Need.text.in_(REHEARSAL_NEEDS["en"]))))
    dashboard = socketio.test_client(app, namespace=PLENARY_NAMESPACE, flask_test_client=at.console.http,
                                     auth={"event": event_id, "view": "plenary"})
    for source, target in (ids, ids[::-1]):
        ack = dashboard.emit("merge", {"source": source, "target": target}, namespace=PLENARY_NAMESPACE,
                             callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "need_not_found", ack
    with app.app_context():
        assert db.session.scalar(select(func.count(Need.id)).where(Need.theme_merged_into_id.is_not(None))) == 0
