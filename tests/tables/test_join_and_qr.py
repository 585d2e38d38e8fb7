"""Joining a table from a phone, and the QR code on the projector."""

import re

import numpy
import zxingcpp
from sqlalchemy import func, select

from tests.conftest import PASSWORD, login
from workshop.core.network import is_loopback_host, public_base_url
from workshop.extensions import db, socketio
from workshop.participants.models import Participant
from workshop.tables.join_codes import normalise_join_code


def decode_qr(svg):
    """Read a QR code drawn by the app back, as a phone camera would."""
    modules = [(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)]
    size = int(re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).group(1))
    scale = 8
    image = numpy.full((size * scale, size * scale), 255, dtype=numpy.uint8)
    for x, y in modules:
        image[y * scale:(y + 1) * scale, x * scale:(x + 1) * scale] = 0
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1, "the QR code did not decode"
    return results[0].text


def projector_qr(world, app, client):
    organizer = world.account()
    table = world.table(organizer=organizer)
    login(client, organizer.email)
    response = client.get(f"/tables/{table.id}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    return table, decode_qr(response.get_data(as_text=True))


def test_the_qr_code_encodes_public_base_url_when_set(world, app, client):
    app.config["PUBLIC_BASE_URL"] = "https://tavoli.comune.example/"
    table, url = projector_qr(world, app, client)
    assert url == f"https://tavoli.comune.example/j/{table.join_code}"


def test_the_qr_code_never_encodes_localhost(world, app, client):
    table, url = projector_qr(world, app, client)  # the test client browses as localhost
    host = url.split("://", 1)[1].split("/", 1)[0]
    assert not is_loopback_host(host)
    assert url.endswith(f"/j/{table.join_code}")


def test_the_qr_code_uses_the_address_the_organizer_browsed_to(world, app, client):
    organizer = world.account()
    table = world.table(organizer=organizer)
    lan = "http://192.168.1.20:5000"
    page = client.get("/login", base_url=lan).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/login", base_url=lan, data={"email": organizer.email, "password": PASSWORD, "csrf_token": token})
    svg = client.get(f"/tables/{table.id}/qr.svg", base_url=lan).get_data(as_text=True)
    assert decode_qr(svg) == f"http://192.168.1.20:5000/j/{table.join_code}"


def test_public_base_url_rules():
    assert public_base_url("https://x.example/", "http://localhost:5000/", 5000) == "https://x.example"
    assert public_base_url(None, "http://10.0.0.5:5000/", 5000) == "http://10.0.0.5:5000"
    assert "localhost" not in public_base_url(None, "http://localhost:5000/", 5000)
    assert is_loopback_host("127.0.0.1:5000") and is_loopback_host("[::1]:5000") and is_loopback_host("localhost")
    assert not is_loopback_host("192.168.1.20:5000")


def test_a_phone_opening_the_join_link_gets_a_lasting_device_cookie(world, app, client):
    table = world.table()
    response = client.get(f"/j/{table.join_code}")
    assert response.status_code == 200
    cookie = client.get_cookie(app.config["DEVICE_COOKIE_NAME"])
    assert cookie is not None and cookie.http_only
    client.get(f"/j/{table.join_code}")
    assert client.get_cookie(app.config["DEVICE_COOKIE_NAME"]).value == cookie.value  # kept on reload


def test_a_typed_code_is_forgiving_about_case_and_spaces(world, client):
    table = world.table()
    typed = " " + table.join_code[:3].lower() + "-" + table.join_code[3:].lower() + " "
    assert normalise_join_code(typed) == table.join_code
    response = client.get("/join", query_string={"code": typed})
    assert response.headers["Location"] == f"/j/{table.join_code}"


def test_an_unknown_join_code_gives_a_clear_page_not_a_500(client):
    response = client.get("/j/ZZZZZZ", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "There is no table with the code ZZZZZZ" in page
    assert 'name="code"' in page  # and a form to try again
    assert client.get("/join?code=", headers={"Accept-Language": "en"}).status_code == 400


def test_a_forged_device_cookie_is_replaced_and_refused_on_the_socket(world, app, client):
    table = world.table()
    client.set_cookie(app.config["DEVICE_COOKIE_NAME"], "forged.value")
    # A socket opened with only the forged cookie is refused, and nobody joins.
    forged = socketio.test_client(app, flask_test_client=client, auth={"table": table.join_code, "view": "phone"})
    assert not forged.is_connected()
    with app.app_context():
        assert db.session.scalar(select(func.count(Participant.id))) == 0
    # The join page replaces the forged cookie with a good one.
    client.get(f"/j/{table.join_code}")
    assert client.get_cookie(app.config["DEVICE_COOKIE_NAME"]).value != "forged.value"
    honest = socketio.test_client(app, flask_test_client=client, auth={"table": table.join_code, "view": "phone"})
    assert honest.is_connected()
