"""Socket.IO input that used to get a "server_error" with a stack trace in the log, now refused cleanly.

Found by tests/security/test_bad_input.py, each pinned here through the door
a client uses: the event with a wrong payload, the connection with a wrong
`auth`, the packet that is not even valid Socket.IO.
"""

import pytest
from socketio import packet
from sqlalchemy import select

from tests.security.conftest import organizer_client, refused
from workshop.contributions.models import ClientAction, Need
from workshop.core.sockets import CheckedPacket
from workshop.extensions import socketio


def test_a_need_posted_without_its_text_is_refused(world, database, error_log):
    phone = world.phone(world.table())
    assert refused(phone.emit("post_need", {"id": "no-text-0001"}), "text_invalid")
    assert database.scalar(select(Need)) is None
    assert error_log == []


def test_an_organisation_id_too_large_for_the_database_is_refused(world, error_log):
    phone = world.phone(world.table())
    assert refused(phone.emit("set_profile", {"name": None, "organisation": 2**70}), "organisation_invalid")
    assert error_log == []


def test_a_moderation_action_that_is_not_a_name_is_refused(world, error_log):
    organizer = world.account()
    table = world.table(organizer=organizer)
    need = world.phone(table).post("Orari")["need"]["id"]
    console = world.screen(table, organizer, view="console")
    for action in (["hide"], {"hide": 1}, 7, None):
        assert refused(console.emit("moderate", {"action": action, "need": need}), "action_invalid"), action
    assert error_log == []


def test_an_action_id_with_a_final_newline_is_refused(world, database):
    phone = world.phone(world.table())
    assert refused(phone.post("Orari", action_id="abcdefgh\n"), "id_invalid")
    assert database.scalar(select(ClientAction)) is None


def test_a_plenary_connection_for_an_event_id_too_large_is_refused_cleanly(world, app, error_log):
    world.event(organizer=world.account())
    client = socketio.test_client(app, flask_test_client=organizer_client(app), namespace="/plenary",
                                  auth={"event": 2**64, "view": "plenary"})
    assert not client.is_connected("/plenary")
    assert error_log == []


def test_a_join_code_with_a_lone_surrogate_is_simply_not_found(world, app, error_log):
    world.table()
    client = socketio.test_client(app, flask_test_client=app.test_client(),
                                  auth={"table": "AB\ud800CD", "view": "projector"})
    assert not client.is_connected()
    assert error_log == []


# -- packets that are not valid Socket.IO ------------------------------------------------

MALFORMED_PACKETS = {
    "broken JSON": '2["post_need",{',
    "nested deeper than the parser allows": '2["post_need",' + "[" * 5000 + "]" * 5000 + "]",
    "an integer of 5,000 digits": '2["post_need",{"id":"abcdefgh","text":' + "9" * 5000 + "}]",
    "an event that is not a list": '2{"post_need":1}',
    "an event without a name": "2[]",
    "an unknown packet type": "9[]",
    "a packet only the server sends": '4{"message":"x"}',
    "too many attachments": '512345678901-["post_need",{"_placeholder":true,"num":0}]',
}


@pytest.mark.parametrize("encoded", MALFORMED_PACKETS.values(), ids=MALFORMED_PACKETS.keys())
def test_a_malformed_packet_becomes_a_disconnect_of_its_namespace_without_a_trace(encoded, error_log):
    decoded = CheckedPacket(encoded_packet=encoded)
    assert (decoded.packet_type, decoded.data, decoded.id) == (packet.DISCONNECT, None, None)
    assert error_log == []


def test_attachments_that_do_not_match_their_placeholders_are_dropped(error_log):
    decoded = CheckedPacket(encoded_packet='51-["post_need",{"_placeholder":true,"num":5}]')
    assert decoded.packet_type == packet.BINARY_EVENT
    assert decoded.add_attachment(b"x") is True
    assert (decoded.packet_type, decoded.data, decoded.id) == (packet.BINARY_ACK, None, None)
    assert error_log == []


def test_well_formed_packets_decode_as_before():
    for encoded in ['2["post_need",{"id":"abcdefgh","text":"x"}]', "0{}", "1", '31[{"ok":true}]', "0/plenary,{}"]:
        assert vars(CheckedPacket(encoded_packet=encoded)) == vars(packet.Packet(encoded_packet=encoded))


def test_a_malformed_packet_drops_the_client_and_the_table_goes_on(world, database, error_log):
    table = world.table()
    phone, other = world.phone(table), world.phone(table)
    server = socketio.server
    # What the test client itself does with every message it sends (the real
    # server's path is tested in test_bad_input.py).
    server._handle_eio_message(phone.sio.eio_sid, '2["post_need",' + "[" * 5000 + "]" * 5000 + "]")
    assert server.manager.sid_from_eio_sid(phone.sio.eio_sid, "/") is None  # dropped from the namespace
    assert other.post("Orari")["ok"]
    assert database.scalar(select(Need.text)) == "Orari"
    assert error_log == []
