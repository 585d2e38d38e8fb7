"""Start the real Tavoli server in a child process, as `python wsgi.py` does.

    with AppServer() as server:
        requests.get(server.url + "/healthz")
        server.flask("setup-link")

Each server gets its own free port on 127.0.0.1 and its own temporary instance
folder (SQLite database, secret key, server.log). The schema is created with
`flask db upgrade` and, unless organizer=None, one organizer account with the
`create-organizer` command, exactly as an operator would. Several workers
sharing one database (the scale-out test) are started with prepare=False
after the first has been prepared, as an operator runs migrations once.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
# The interpreter running the tests is the project's virtual environment.
PYTHON = sys.executable


@dataclass(frozen=True)
class Organizer:
    email: str = "org@example.org"
    name: str = "Org"
    password: str = "correct-horse-battery"


DEFAULT_ORGANIZER = Organizer()


def stop_process(process):
    """Terminate a child process, kill it if it does not stop within 10 s; None or ended is fine."""
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServerError(RuntimeError):
    pass


class AppServer:
    """The app served by wsgi.py on 127.0.0.1:<free port>.

    url       http://127.0.0.1:<port>
    instance  the temporary instance folder (Path)
    log_path  the server's stdout and stderr
    flask()   runs `flask --app wsgi <args>` against the same instance
    """

    def __init__(self, organizer=DEFAULT_ORGANIZER, env=None, start_timeout=20.0, keep_instance=False,
                 prepare=True):
        self.organizer = organizer
        # False: the database is already migrated and holds the organizer.
        self.prepare = prepare
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.instance = Path(tempfile.mkdtemp(prefix="tavoli-server-"))
        self.log_path = self.instance / "server.log"
        self.start_timeout = start_timeout
        # Keep the instance folder (database, log) after stop(); also when
        # TAVOLI_KEEP_TEST_INSTANCE=1.
        self.keep_instance = keep_instance or os.environ.get("TAVOLI_KEEP_TEST_INSTANCE") == "1"
        self.env = {
            **os.environ,
            "TAVOLI_INSTANCE": str(self.instance),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "TAVOLI_ENV": "production",
            "PUBLIC_BASE_URL": self.url,
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        self.process = None
        self._log_file = None

    # -- commands ------------------------------------------------------------

    def flask(self, *args, check=True, timeout=60, input=None):
        """Run `flask --app wsgi *args` on this server's instance; returns the
        CompletedProcess (text output). Raises ServerError if check and it fails."""
        result = subprocess.run(
            [PYTHON, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, input=input,
        )
        if check and result.returncode != 0:
            raise ServerError(
                f"flask {' '.join(args)} exited with {result.returncode}\n"
                f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
            )
        return result

    def create_organizer(self, organizer):
        return self.flask("create-organizer", "--email", organizer.email, "--name", organizer.name,
                          "--password", organizer.password)

    # -- life cycle ----------------------------------------------------------

    def start(self):
        if self.prepare:
            self.flask("db", "upgrade")
            if self.organizer is not None:
                self.create_organizer(self.organizer)
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self._launch()
        return self

    def _launch(self):
        """Start the server process on the instance and wait until it answers."""
        self.process = subprocess.Popen(
            [PYTHON, "wsgi.py"], cwd=ROOT, env=self.env,
            stdin=subprocess.DEVNULL, stdout=self._log_file, stderr=subprocess.STDOUT,
        )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self):
        deadline = time.monotonic() + self.start_timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerError(
                    f"the server exited with {self.process.returncode} before answering; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                last_error = error
            time.sleep(0.1)
        raise ServerError(
            f"{self.url}/healthz did not answer 200 within {self.start_timeout:.0f} s ({last_error}); "
            f"log {self.log_path}:\n{self.log_tail()}"
        )

    def stop(self):
        """Stop the server (terminate, then kill) and remove the instance folder
        unless it is to be kept. Safe to call more than once."""
        stop_process(self.process)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if not self.keep_instance and self.instance.exists():
            shutil.rmtree(self.instance, ignore_errors=True)

    def restart(self, crash=True):
        """Stop the server process and start it again on the same port, instance
        and log. With crash, it is killed (SIGKILL), as a power cut or the
        out-of-memory killer would: no clean shutdown, transactions cut short."""
        if crash:
            self.process.kill()
        else:
            self.process.terminate()
        self.process.wait(timeout=10)
        self._launch()

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines=60):
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def save_log(self, destination):
        """Copy the server log to destination (e.g. before stop() removes it)."""
        destination = Path(destination)
        destination.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists():
            shutil.copyfile(self.log_path, destination)
        return destination

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()


# -- an organizer at work over HTTP, as in a browser ---------------------------------

def form_token(session, url, timeout=30):
    """The CSRF token of the form on the page at url."""
    page = session.get(url, timeout=timeout).text
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def organizer_session(server):
    """A requests session logged in as the server's organizer through the login form."""
    session = requests.Session()
    organizer = server.organizer
    login_url = server.url + "/login"
    response = session.post(login_url, timeout=30, data={
        "email": organizer.email, "password": organizer.password, "csrf_token": form_token(session, login_url)})
    if not response.url.endswith("/organize/"):
        raise ServerError(f"organizer login failed ({response.status_code})")
    return session


def open_event(server, session, tables=1, title="Assemblea", language="it", dots=3, max_per_need=1,
               theme="Lavoro", table_name="Tavolo {}"):
    """A live event made through the organizer's forms: one theme, `tables` tables
    (table_name formatted with 1, 2, ...). Returns [(table id, join code)] in order."""
    dashboard = server.url + "/organize/"
    event_url = session.post(dashboard, timeout=30, data={
        "title": title, "language": language, "dots_per_participant": str(dots),
        "max_dots_per_need": str(max_per_need), "csrf_token": form_token(session, dashboard)}).url
    session.post(event_url + "/themes", timeout=30, data={
        "name": theme, "colour": "#336699", "csrf_token": form_token(session, event_url)})
    theme_id = re.search(r'<option value="(\d+)"', session.get(event_url, timeout=30).text).group(1)
    for number in range(1, tables + 1):
        session.post(event_url + "/tables", timeout=30, data={
            "table-theme_id": theme_id, "table-name": table_name.format(number),
            "csrf_token": form_token(session, event_url)})
    page = session.post(event_url + "/status", timeout=30,
                        data={"status": "live", "csrf_token": form_token(session, event_url)}).text
    ids = list(dict.fromkeys(re.findall(r"/tables/(\d+)/console", page)))
    codes = list(dict.fromkeys(re.findall(r'<code class="code">([A-Z0-9]{6})</code>', page)))
    if not (len(ids) == len(codes) == tables):
        raise ServerError(f"expected {tables} live tables, the event page shows {len(ids)} and {len(codes)} codes")
    return list(zip(ids, codes, strict=True))
