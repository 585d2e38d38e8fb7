"""PostgreSQL, Redis and nginx started for a test, on loopback, on ports of their own.

Each runs as a child of the test in a temporary folder and is stopped again
by stop() (safe to call twice). The binaries come from Debian's packages,
which `scripts/ensure-system.sh test` (run by `make test`) installs; the
services those packages enable are neither needed nor touched.
"""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.servers import ROOT, AppServer, ServerError, free_port, stop_process

SITE = ROOT / "deploy" / "nginx" / "tavoli.conf"
MISSING = "{} is not installed: run `scripts/ensure-system.sh test` (as root), as `make test` does"


def _wait_until(ready, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        time.sleep(0.1)
    raise ServerError(f"{what} did not start within {timeout:.0f} s")


def _port_open(port):
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _as_postgres_user():
    """PostgreSQL refuses to run as root: as root, run its tools as `postgres`."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    """A PostgreSQL cluster in a temporary folder; `url(database)` for SQLAlchemy.

    Tests run it without fsync (nothing they check needs a power cut survived);
    the benchmark asks for a durable one, as production runs.
    """

    def __init__(self, durable=False):
        self.durable = durable
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda path: int(path.split("/")[4]))
        if not found:
            raise ServerError(MISSING.format("PostgreSQL"))
        self.bin = Path(found[-1]).parent
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="tavoli-pg-"))
        self.data = self.folder / "data"
        self.started = False

    def _run(self, *args, check=True):
        return subprocess.run([*_as_postgres_user(), *args], capture_output=True, text=True, timeout=60,
                              check=check)

    def start(self):
        os.chmod(self.folder, 0o755)
        self.data.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.data, "postgres", "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1"
        if not self.durable:
            options += " -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.data / "log"),
                  "-w", "start")
        self.started = True
        return self

    def create_database(self, name):
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", name)

    def url(self, database):
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self):
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "stop", "-m", "immediate", check=False)
            self.started = False
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    """A Redis server without persistence; stop() and start() again on the same port."""

    def __init__(self):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServerError(MISSING.format("Redis"))
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--loglevel", "warning"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        _wait_until(lambda: _port_open(self.port), 10, "Redis")
        return self

    def stop(self):
        stop_process(self.process)
        self.process = None


class Nginx:
    """nginx serving the shipped site (deploy/nginx/tavoli.conf) in front of the
    given worker ports, with the static files of this checkout."""

    def __init__(self, worker_ports, worker_connections=1024):
        self.binary = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
        if self.binary is None:
            raise ServerError(MISSING.format("nginx"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="tavoli-nginx-"))
        self.worker_ports = worker_ports
        # Each proxied phone holds two connections (phone to nginx, nginx to a worker).
        self.worker_connections = worker_connections
        self.process = None

    def site(self):
        """The shipped site with this test's ports and paths; fails if the file changed shape."""
        text = SITE.read_text()
        replacements = {
            "    listen 80;\n": f"    listen 127.0.0.1:{self.port};\n",
            "    listen [::]:80;\n": "",
            "alias /srv/tavoli/app/static/;": f"alias {ROOT}/static/;",
            "    server 127.0.0.1:5001;\n    server 127.0.0.1:5002;\n":
                "".join(f"    server 127.0.0.1:{port};\n" for port in self.worker_ports),
        }
        for old, new in replacements.items():
            assert old in text, f"{SITE} no longer contains {old!r}"
            text = text.replace(old, new)
        return text

    def start(self):
        folder = self.folder
        user = "user root;\n" if os.geteuid() == 0 else ""
        config = folder / "nginx.conf"
        config.write_text(
            f"{user}daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            f"events {{ worker_connections {self.worker_connections}; }}\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            f"    access_log {folder}/access.log;\n"
            + "".join(f"    {kind}_temp_path {folder}/{kind};\n"
                      for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
            + self.site() + "\n}\n"
        )
        # nginx reports errors in its configuration on stderr, and later ones in error.log.
        with open(folder / "error.log", "ab") as errors:
            self.process = subprocess.Popen([self.binary, "-c", str(config), "-p", str(folder)],
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        _wait_until(lambda: _port_open(self.port) or self.process.poll() is not None, 10, "nginx")
        if self.process.poll() is not None:
            raise ServerError(f"nginx exited:\n{(folder / 'error.log').read_text(errors='replace')}")
        return self

    def stop(self):
        stop_process(self.process)
        self.process = None
        shutil.rmtree(self.folder, ignore_errors=True)


@dataclass
class ScaledOut:
    postgres: Postgres
    redis: Redis
    workers: list  # of AppServer, in the order of the modes asked for
    nginx: Nginx  # in front of the first `behind_nginx` workers
    env: dict  # the settings every worker shares


@contextmanager
def scaled_out(modes, behind_nginx, settings=None, durable=False, share_limits=False, worker_connections=1024):
    """The scale-out set-up of docs/deploy.md on loopback: a PostgreSQL cluster
    (durable: with fsync), Redis as the message queue (and, with share_limits,
    the rate limits' storage), one worker per async mode
    in `modes` sharing both, migrated and given the organizer once as an
    operator does, and nginx serving the shipped site in front of the first
    `behind_nginx` workers. Everything is stopped again in reverse order, also
    on failure; a failure to stop is raised once the rest is stopped."""
    started = []
    try:
        postgres = Postgres(durable=durable)
        started.append(postgres)
        postgres.start()
        postgres.create_database("tavoli")
        redis = Redis()
        started.append(redis)
        redis.start()
        env = {"DATABASE_URL": postgres.url("tavoli"), "SOCKETIO_MESSAGE_QUEUE": redis.url, **(settings or {})}
        if share_limits:
            env["RATELIMIT_STORAGE_URI"] = redis.url
        # Several processes importing the app at once on two busy cores may take a while.
        workers = [AppServer(env={**env, "SOCKETIO_ASYNC_MODE": mode}, prepare=False, start_timeout=90)
                   for mode in modes]
        started.extend(workers)
        workers[0].flask("db", "upgrade")
        workers[0].create_organizer(workers[0].organizer)
        with ThreadPoolExecutor(len(workers)) as pool:
            list(pool.map(AppServer.start, workers))
        nginx = Nginx([worker.port for worker in workers[:behind_nginx]], worker_connections=worker_connections)
        started.append(nginx)
        nginx.start()
        yield ScaledOut(postgres, redis, workers, nginx, env)
    finally:
        errors = []
        for thing in reversed(started):
            try:
                thing.stop()
            except Exception as error:  # stop the rest anyway
                errors.append(error)
        if errors:
            raise ServerError(f"stopping the scale-out set-up failed: {errors}")
