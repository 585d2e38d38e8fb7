"""Join codes cannot be guessed or enumerated in practice.

A code is 6 characters from an alphabet of 31 (about 887 million codes, 29.7
bits), handed out at random. Every unknown code gets the same answer; a phone
(or account) that sends too many unknown codes is refused before the lookup,
whatever code it sends next; and a connection with no device cookie or login
learns nothing about which codes exist. The limits are keyed on the phone's
device cookie, never on the address (every client here is 127.0.0.1).
"""

import math
import re
import statistics
import time

from tests.tables.test_connect_refusals import RecordingClient
from workshop.core.security import new_token
from workshop.extensions import socketio
from workshop.tables.join_codes import ALPHABET, LENGTH, new_join_code

EN = {"Accept-Language": "en"}
TRY_AGAIN = re.compile(r"Too many attempts in a short time\. Try again in \d+ (second|seconds|minute|minutes)\.")


def connect(app, http, code, view="phone"):
    """Open a live connection as http's browser; returns (connected, refusal data or None)."""
    client = RecordingClient(app, socketio, flask_test_client=http, auth={"table": code, "view": view})
    connected = client.is_connected()
    if connected:
        client.disconnect()
    # As the browser's socket.io-client reads it: connect_error's `data`.
    return connected, (client.refusals[0].get("data") if client.refusals else None)


def phone_with_cookie(app, table):
    http = app.test_client()
    http.set_cookie("tavoli_lang", "en")
    assert http.get(f"/j/{table.join_code}").status_code == 200
    return http


def test_codes_and_links_are_drawn_from_large_spaces():
    assert len(ALPHABET) ** LENGTH == 887_503_681  # 29.7 bits: unguessable at the join limits
    assert math.log2(len(ALPHABET) ** LENGTH) > 29.7
    codes = {new_join_code() for _ in range(2000)}
    assert len(codes) == 2000 and all(len(code) == LENGTH and set(code) <= set(ALPHABET) for code in codes)
    assert set("".join(codes)) == set(ALPHABET)  # every character is used
    # Invitation and set-up links: 32 random bytes (256 bits), URL-safe.
    assert all(len(new_token()) == 43 for _ in range(100))


def test_every_unknown_code_gets_the_same_page_and_as_fast(app, world, client):
    app.config["RATELIMIT_JOIN_MISSES"] = "100 per minute"
    table = world.table()
    unknown = ["ZZZZZZ", "AAAAAA", "ABC", "A" * 32, "0O1IL0", "Q9Q9Q9Q9"]
    pages = set()
    for code in unknown:
        response = client.get(f"/j/{code}", headers=EN)
        assert response.status_code == 404
        pages.add(response.get_data(as_text=True).replace(code, "<code>"))
    assert len(pages) == 1
    assert "There is no table with the code <code>" in pages.pop()

    def median_seconds(code, status):
        durations = []
        for _ in range(15):
            started = time.perf_counter()
            assert client.get(f"/j/{code}").status_code == status
            durations.append(time.perf_counter() - started)
        return statistics.median(durations)

    known = median_seconds(table.join_code, 200)
    assert median_seconds("QQQQQQ", 404) < 3 * known + 0.05  # no penalty delay that would hold a worker


def test_a_phone_that_tried_too_many_unknown_codes_is_refused_even_for_a_real_one(app, world):
    app.config["RATELIMIT_JOIN_MISSES"] = "3 per minute"
    table = world.table()
    guesser = phone_with_cookie(app, table)
    for code in ("ZZZZZA", "ZZZZZB", "ZZZZZC"):
        assert guesser.get(f"/j/{code}").status_code == 404

    refused = guesser.get(f"/j/{table.join_code}")
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert TRY_AGAIN.search(refused.get_data(as_text=True))
    assert guesser.get("/j/ZZZZZD").status_code == 429  # the same answer, whatever the code
    connected, refusal = connect(app, guesser, table.join_code)
    assert not connected and refusal["code"] == "rate_limited" and refusal["retry_after"] >= 1

    # Another phone in the same hall (the same address) is not held back.
    neighbour = phone_with_cookie(app, table)
    assert neighbour.get("/j/ZZZZZE").status_code == 404
    assert connect(app, neighbour, table.join_code) == (True, None)


def test_unknown_codes_sent_over_the_socket_count_as_well(app, world):
    app.config["RATELIMIT_JOIN_MISSES"] = "3 per minute"
    table = world.table()
    guesser = phone_with_cookie(app, table)
    for code in ("ZZZZZA", "ZZZZZB", "ZZZZZC"):
        connected, refusal = connect(app, guesser, code)
        assert not connected and refusal["code"] == "table_not_found"
    connected, refusal = connect(app, guesser, table.join_code)
    assert not connected and refusal["code"] == "rate_limited"
    assert guesser.get(f"/j/{table.join_code}").status_code == 429


def test_a_connection_with_no_device_cookie_or_login_learns_nothing_about_codes(app, world):
    table = world.table()
    for code in (table.join_code, "ZZZZZZ"):
        connected, refusal = connect(app, app.test_client(), code)
        assert not connected and refusal["code"] == "no_device", (code, refusal)
        connected, refusal = connect(app, app.test_client(), code, view="console")
        assert not connected and refusal["code"] == "not_allowed", (code, refusal)


def test_phones_arriving_for_the_first_time_share_one_allowance(app, world):
    app.config["RATELIMIT_JOIN_NEW_DEVICES"] = "5 per minute"
    app.config["RATELIMIT_JOIN_MISSES"] = "1 per minute"
    table = world.table()
    # A newcomer's typo is not a miss held against the next newcomer (they share one key).
    for code in ("ZZZZZA", "ZZZZZB"):
        assert app.test_client().get(f"/j/{code}").status_code == 404
    first = [app.test_client() for _ in range(3)]
    for http in first:
        assert http.get(f"/j/{table.join_code}").status_code == 200
    late = app.test_client().get(f"/j/{table.join_code}", headers=EN)
    assert late.status_code == 429 and TRY_AGAIN.search(late.get_data(as_text=True))
    # Phones that have their device cookie count on their own.
    assert all(http.get(f"/j/{table.join_code}").status_code == 200 for http in first)


def test_a_phone_opening_join_links_too_often_is_limited(app, world):
    app.config["RATELIMIT_JOIN"] = "3 per minute"
    table = world.table()
    phone = phone_with_cookie(app, table)  # its first visit counts among the newcomers
    assert phone.get(f"/j/{table.join_code}").status_code == 200
    assert phone.get("/join", query_string={"code": table.join_code.lower()}).status_code == 302
    assert phone.get(f"/j/{table.join_code}").status_code == 200
    assert phone.get(f"/j/{table.join_code}").status_code == 429
    assert phone_with_cookie(app, table).get(f"/j/{table.join_code}").status_code == 200



def test_while_the_server_is_being_guessed_at_each_phone_gets_only_three_unknown_codes(app, world):
    """Someone collecting device cookies to guess with gets three guesses per cookie, not ten;
    a phone that mistypes once still gets in."""
    app.config["RATELIMIT_JOIN_MISSES_ALL"] = "5 per minute"
    table = world.table()
    patient = phone_with_cookie(app, table)
    for code in ("YYYYYA", "YYYYYB", "YYYYYC", "YYYYYD"):  # before: more than three
        assert patient.get(f"/j/{code}").status_code == 404
    for code in ("ZZZZZA", "ZZZZZB"):  # strangers with no cookie: the server's misses are used up
        assert app.test_client().get(f"/j/{code}").status_code == 404
    assert patient.get(f"/j/{table.join_code}").status_code == 429

    guesser = phone_with_cookie(app, table)
    for code in ("ZZZZZC", "ZZZZZD", "ZZZZZE"):
        assert guesser.get(f"/j/{code}").status_code == 404
    refused = guesser.get("/j/ZZZZZF", headers=EN)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert TRY_AGAIN.search(refused.get_data(as_text=True))
    assert guesser.get(f"/j/{table.join_code}").status_code == 429
    connected, refusal = connect(app, guesser, table.join_code)
    assert not connected and refusal["code"] == "rate_limited"

    typo = phone_with_cookie(app, table)
    assert typo.get("/j/ZZZZZG").status_code == 404
    assert typo.get(f"/j/{table.join_code}").status_code == 200
    assert connect(app, typo, table.join_code) == (True, None)
