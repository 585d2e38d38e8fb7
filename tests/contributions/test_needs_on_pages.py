"""What people post is shown as text, never run as code."""

from sqlalchemy import select

from tests.conftest import Client
from workshop.contributions.models import NEED_MAX_LENGTH, Need
from workshop.core.database import unit_of_work
from workshop.extensions import db
from workshop.tables.models import WorkingTable

HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'


def test_a_need_with_markup_is_stored_as_text_and_rendered_escaped(world, database, app):
    organizer = world.account()
    table = world.table(organizer=organizer)
    phone = world.phone(table)
    assert phone.post(HOSTILE)["need"]["text"] == HOSTILE
    assert database.scalar(select(Need.text)) == HOSTILE
    # The pages render needs with textContent; the server-rendered parts escape too.
    projector = world.screen(table, organizer)
    assert projector.received("snapshot")[0]["needs"][0]["text"] == HOSTILE
    # Names organizers type are rendered by the server: escaped there.
    with app.app_context(), unit_of_work():
        db.session.get(WorkingTable, table.id).name = HOSTILE
    page = phone.http.get(f"/j/{table.join_code}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<script>alert" not in page
    assert "Content-Security-Policy" in phone.http.get("/").headers
    assert "script-src 'self'" in phone.http.get("/").headers["Content-Security-Policy"]


def test_empty_too_long_and_wrongly_typed_needs_are_refused_clearly(world, database):
    table = world.table()
    phone = world.phone(table)
    cases = {
        "   \n\t ": "text_empty",
        "x" * (NEED_MAX_LENGTH + 1): "text_too_long",
        123: "text_invalid",
        None: "text_invalid",
    }
    for text, code in cases.items():
        ack = phone.emit("post_need", {"id": Client.__name__ + "-bad-" + code + str(len(str(text))), "text": text})
        assert ack["ok"] is False and ack["error"]["code"] == code, (text, ack)
        assert ack["error"]["message"]
    assert phone.post("x" * NEED_MAX_LENGTH)["ok"]  # exactly the limit is fine
    assert database.scalar(select(Need.id).where(Need.text == "")) is None


def test_malformed_socket_messages_get_an_error_acknowledgement(world):
    table = world.table()
    phone = world.phone(table)
    assert phone.emit("post_need", "just a string")["error"]["code"] == "payload_invalid"
    assert phone.emit("post_need", {"text": "no id"})["error"]["code"] == "id_invalid"
    assert phone.emit("post_need", {"id": "short", "text": "x"})["error"]["code"] == "id_invalid"
    assert phone.emit("cast_dot", {"id": "abcdefgh-1", "need": "1"})["error"]["code"] == "need_invalid"
    assert phone.emit("cast_dot", {"id": "abcdefgh-2", "need": True})["error"]["code"] == "need_invalid"
    assert phone.emit("cast_dot", {"id": "abcdefgh-3", "need": 99})["error"]["code"] == "wrong_phase"
