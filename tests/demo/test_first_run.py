"""What `make run` prints at start (wsgi.py -> workshop.serve.announce): phones' address, the set-up link, the demo."""

from workshop.serve import announce


def _lines(capsys, app):
    announce(app)
    return [line.strip() for line in capsys.readouterr().out.splitlines() if line.strip()]


def _index(lines, start):
    matches = [number for number, line in enumerate(lines) if line.startswith(start)]
    assert len(matches) == 1, (start, lines)
    return matches[0]


def test_the_first_start_prints_the_address_then_the_set_up_link_then_the_demo(app, capsys):
    app.config["PUBLIC_BASE_URL"] = "http://192.0.2.10:5000"
    lines = _lines(capsys, app)
    phones = _index(lines, "Phones and laptops on this network open: http://192.0.2.10:5000")
    setup = _index(lines, "Create the first organizer account (one-time link): http://192.0.2.10:5000/setup/")
    demo = _index(lines, "To see a whole morning working, load the demo event: `flask --app wsgi demo`")
    assert phones < setup < demo


def test_once_there_is_an_organizer_it_prints_the_login_then_the_demo_and_whether_it_is_loaded(
        app, world, runner, capsys):
    app.config["PUBLIC_BASE_URL"] = "http://192.0.2.10:5000"
    world.account()
    lines = _lines(capsys, app)
    assert _index(lines, "Phones and laptops") < _index(lines, "Organizers log in at:") < \
        _index(lines, "To see a whole morning working")
    assert not any("/setup/" in line for line in lines)
    assert runner.invoke(args=["demo"]).exit_code == 0
    lines = _lines(capsys, app)
    assert _index(lines, "Organizers log in at:") < \
        _index(lines, "The demo event is loaded; remove it with `flask --app wsgi demo --remove`")
