"""Organizers keep a registry of organisations and mark which take part in an event."""

import io

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, login
from workshop.accounts.models import Role
from workshop.events.models import Event, Organisation, OrganisationKind

REGISTRY = "/organize/organisations/"


def logged_in_organizer(world, client, email="anna@example.org"):
    """An organizer logged in, reading the pages in English (the messages checked below)."""
    account = world.account(email=email)
    login(client, email)
    client.get("/lang/en")
    return account


def organisations(database):
    return {o.name: o.kind for o in database.all(select(Organisation))}


def count(database):
    return database.scalar(select(func.count()).select_from(Organisation))


def add(client, name, kind="other"):
    return client.post(REGISTRY, data={"name": name, "kind": kind, "csrf_token": csrf_token(client, REGISTRY)})


def import_text(client, text, url="/organize/organisations/import", page=REGISTRY):
    return client.post(url, data={"import-text": text, "import-csrf_token": csrf_token(client, page)})


def test_an_organizer_adds_and_edits_an_organisation_and_duplicates_are_refused(world, client, database):
    logged_in_organizer(world, client)
    assert add(client, "  Comune   di Lecco ", "municipality").status_code == 302
    assert organisations(database) == {"Comune di Lecco": OrganisationKind.MUNICIPALITY}

    response = add(client, "COMUNE DI LECCO")
    assert response.status_code == 400
    assert "Comune di Lecco" in response.get_data(as_text=True)
    assert count(database) == 1

    organisation = database.scalar(select(Organisation))
    url = f"/organize/organisations/{organisation.id}"
    assert "Comune di Lecco" in client.get(url).get_data(as_text=True)
    response = client.post(url, data={"name": "Comune di Lecco – Servizi sociali", "kind": "municipality",
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    assert organisations(database) == {"Comune di Lecco – Servizi sociali": OrganisationKind.MUNICIPALITY}
    assert "Servizi sociali" in client.get(REGISTRY).get_data(as_text=True)


def test_renaming_onto_another_organisation_is_refused(world, client, database):
    logged_in_organizer(world, client)
    add(client, "Arci Lecco")
    add(client, "Caritas")
    caritas = database.scalar(select(Organisation).where(Organisation.name == "Caritas"))
    url = f"/organize/organisations/{caritas.id}"
    response = client.post(url, data={"name": "arci  lecco", "kind": "other", "csrf_token": csrf_token(client, url)})
    assert response.status_code == 400
    assert set(organisations(database)) == {"Arci Lecco", "Caritas"}
    found = client.get(REGISTRY + "?q=ARCI").get_data(as_text=True)
    assert "<td>Arci Lecco</td>" in found and "<td>Caritas</td>" not in found


def test_pasted_lines_with_mixed_kinds_and_accents_are_imported(world, client, database):
    logged_in_organizer(world, client)
    text = ("Cooperativa Sociale L'Arcobaleno;cooperativa sociale\n"
            "Caritas Ambrosiana, volontariato\n"
            "\n"
            "Associazione Città Aperta; APS\n"
            "Comune di Sesto San Giovanni;Comune\n"
            "Impresa Sociale Società Dolce;impresa sociale\n"
            "Gruppo di quartiere Però\n"
            "Food Bank, social co-operative\n")
    response = import_text(client, text)
    assert response.status_code == 302
    assert organisations(database) == {
        "Cooperativa Sociale L'Arcobaleno": OrganisationKind.SOCIAL_COOPERATIVE,
        "Caritas Ambrosiana": OrganisationKind.VOLUNTEER,
        "Associazione Città Aperta": OrganisationKind.ASSOCIATION,
        "Comune di Sesto San Giovanni": OrganisationKind.MUNICIPALITY,
        "Impresa Sociale Società Dolce": OrganisationKind.SOCIAL_ENTERPRISE,
        "Gruppo di quartiere Però": OrganisationKind.OTHER,
        "Food Bank": OrganisationKind.SOCIAL_COOPERATIVE,
    }


@pytest.mark.parametrize("bad_line, reason", [
    ("Banco Alimentare;supermarket", "supermarket"),
    ("Caritas Ambrosiana;ODV", "line 1"),
    (" ; APS", "name"),
    ("X" * 201, "200"),
])
def test_an_import_with_one_bad_line_imports_nothing_and_names_the_line(world, client, database, bad_line, reason):
    logged_in_organizer(world, client)
    add(client, "Arci Lecco")
    text = f"Caritas Ambrosiana, volontariato\nAuser Lecco;ODV\n{bad_line}\nComune di Lecco;comune\n"
    response = import_text(client, text)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 3" in page
    assert reason.casefold() in page.casefold()
    assert "Line 1:" not in page and "Line 2:" not in page and "Line 4:" not in page
    assert "Comune di Lecco;comune" in page  # the pasted text is kept
    assert count(database) == 1


def test_every_bad_line_is_listed(world, client, database):
    logged_in_organizer(world, client)
    response = import_text(client, "A;nope\nB\nC;nope either\n")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Line 1" in page and "Line 3" in page and "Line 2:" not in page
    assert count(database) == 0


def test_a_csv_file_with_a_bom_and_a_header_is_imported_and_reimporting_changes_nothing(world, client, database):
    logged_in_organizer(world, client)
    content = "name,kind\r\nCooperativa Sociale L'Arcobaleno,cooperativa sociale\r\n\"Arci, Lecco\",APS\r\n"

    def upload(data):
        return client.post("/organize/organisations/import", content_type="multipart/form-data", data={
            "import-csrf_token": csrf_token(client, REGISTRY),
            "import-file": (io.BytesIO(data), "organisations.csv"),
        })

    assert upload(content.encode("utf-8-sig")).status_code == 302
    expected = {"Cooperativa Sociale L'Arcobaleno": OrganisationKind.SOCIAL_COOPERATIVE,
                "Arci, Lecco": OrganisationKind.ASSOCIATION}
    assert organisations(database) == expected

    response = upload(content.replace("L'Arcobaleno", "l'ARCOBALENO").encode("utf-8-sig"))
    assert response.status_code == 302
    assert organisations(database) == expected
    assert "0 new, 2 already" in client.get(REGISTRY).get_data(as_text=True)


def test_an_excel_csv_in_cp1252_is_read_and_a_binary_file_is_refused(world, client, database):
    logged_in_organizer(world, client)

    def upload(data):
        return client.post("/organize/organisations/import", content_type="multipart/form-data", data={
            "import-csrf_token": csrf_token(client, REGISTRY),
            "import-file": (io.BytesIO(data), "organisations.csv"),
        })

    assert upload("Società Dolce;impresa sociale\r\n".encode("cp1252")).status_code == 302
    assert organisations(database) == {"Società Dolce": OrganisationKind.SOCIAL_ENTERPRISE}
    response = upload(b"PK\x03\x04\x00\x00binary")
    assert response.status_code == 400
    assert "not a text or CSV file" in response.get_data(as_text=True)
    assert count(database) == 1


def test_an_event_takes_part_with_chosen_and_imported_organisations(world, client, database):
    organizer = logged_in_organizer(world, client)
    event = world.event(organizer=organizer)
    add(client, "Arci Lecco", "association")
    add(client, "Caritas", "volunteer")
    add(client, "Comune di Lecco", "municipality")
    ids = {o.name: o.id for o in database.all(select(Organisation))}
    url = f"/organize/events/{event.id}/organisations"

    page = client.get(url).get_data(as_text=True)
    assert "<legend>Association</legend>" in page and "Caritas" in page
    response = client.post(url, data={"organisations": [ids["Arci Lecco"], ids["Caritas"]],
                                      "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302

    def taking_part():
        return set(database.all(select(Organisation.name).join(Event.organisations).where(Event.id == event.id)))

    assert taking_part() == {"Arci Lecco", "Caritas"}

    response = import_text(client, "caritas\nAuser Lecco;ODV\n", url=url + "/import", page=url)
    assert response.status_code == 302
    assert taking_part() == {"Arci Lecco", "Caritas", "Auser Lecco"}
    assert count(database) == 4

    response = import_text(client, "Auser Lecco;ODV\nBad;nope\n", url=url + "/import", page=url)
    assert response.status_code == 400 and "Line 2" in response.get_data(as_text=True)

    response = client.post(url, data={"organisations": [999999], "csrf_token": csrf_token(client, url)})
    assert response.status_code == 400
    assert taking_part() == {"Arci Lecco", "Caritas", "Auser Lecco"}


def test_only_the_events_organizers_change_who_takes_part(world, client, database):
    event = world.event(organizer=world.account(email="owner@example.org"))
    logged_in_organizer(world, client, "stranger@example.org")
    url = f"/organize/events/{event.id}/organisations"
    assert client.get(url).status_code == 403
    assert client.post(url, data={"csrf_token": csrf_token(client, REGISTRY)}).status_code == 403
    assert client.get(REGISTRY).status_code == 200  # the registry itself is shared


ROUTES = [REGISTRY, "/organize/organisations/1"]


@pytest.mark.parametrize("url", ROUTES)
def test_facilitators_and_anonymous_visitors_cannot_reach_the_registry(world, client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    world.account(email="facilitator@example.org", role=Role.FACILITATOR)
    login(client, "facilitator@example.org")
    assert client.get(url).status_code == 403
    token = csrf_token(client, "/")
    assert client.post(REGISTRY, data={"name": "Arci", "kind": "other", "csrf_token": token}).status_code == 403
    assert client.post("/organize/organisations/import",
                       data={"import-text": "Arci", "import-csrf_token": token}).status_code == 403
