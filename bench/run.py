"""`make bench`: Tavoli under load, against a real server process with production settings.

    .venv/bin/python -m bench.run [--modes eventlet,gevent] [--scenarios meeting,event-1000]

BENCH_SCENARIOS (comma-separated) chooses a subset when --scenarios is not given.
Each scenario gets a fresh server (tests/servers.py AppServer: its own SQLite
instance, `flask db upgrade`, an organizer) and an event set up through the
organizer's own forms; `baseline` runs bench/baseline_relay.py instead. Results
go to bench/results/latest-<mode>.json (latest.json is the product default,
eventlet, when it ran) in the shape given in docs/bench.md, and a table is printed.
"""

import argparse
import asyncio
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import psutil

from bench.loadgen import Plan, percentiles, run_load
from tests.servers import PYTHON, ROOT, AppServer, free_port, open_event, organizer_session

RESULTS = ROOT / "bench" / "results"
DEFAULT_MODE = "eventlet"

# name: (tables, phones, tables voting, dots/s, needs/s, seconds of load, join window in s)
SCENARIOS = {
    "meeting": dict(tables=10, phones=200, vote_tables=5, dots_per_s=20, needs_per_s=5, duration_s=10),
    "event-1000": dict(tables=10, phones=1000, vote_tables=10, dots_per_s=100, duration_s=10),
    "burst-1000": dict(tables=10, phones=1000, join_window_s=5.0, seed_needs=0),
    "hall-5000": dict(tables=50, phones=5000, vote_tables=50, dots_per_s=100, duration_s=10),
    "baseline": dict(tables=10, phones=1000, vote_tables=10, dots_per_s=100, duration_s=10),
    # event-1000 on the scale-out set-up: two workers on PostgreSQL, joined by Redis, behind nginx.
    "event-1000-scaleout": dict(tables=10, phones=1000, vote_tables=10, dots_per_s=100, duration_s=10),
}
SCALE_OUT_WORKERS = 2


def raise_open_files_limit():
    """5,000 phones need 5,000 sockets here and as many in the server (a child inherits the limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- setting up an event through the organizer's forms -----------------------------

def set_up_event(server, session, table_count):
    """A live event with one theme and table_count tables (50 dots each, up to 50 on one need);
    returns the tables' join codes."""
    tables = open_event(server, session, table_count, title="Bench", language="en", dots=50, max_per_need=50,
                        theme="Load", table_name="Table {}")
    return [code for _table_id, code in tables]


# -- the baseline relay ------------------------------------------------------------------

class RelayServer:
    def __init__(self, mode, codes):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.mode, self.codes = mode, codes
        self.process = None

    def __enter__(self):
        env = {**os.environ, "SOCKETIO_ASYNC_MODE": self.mode, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [PYTHON, str(ROOT / "bench" / "baseline_relay.py"), "127.0.0.1", str(self.port), ",".join(self.codes)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/j/{self.codes[0]}", timeout=2):
                    return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("the baseline relay did not start")

    def __exit__(self, *exc_info):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


# -- measuring the server process ---------------------------------------------------------

class ProcessSampler:
    """Samples the server's CPU time and resident memory every 0.2 s in a thread:
    one process, or the sum over several (the scale-out set-up's workers)."""

    def __init__(self, pids, every=0.2):
        self.processes = [psutil.Process(pid) for pid in pids]
        self.every = every
        self.samples = []  # (perf_counter, cpu seconds, rss bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        last_cpu = {}  # a process that ended keeps the CPU time it had used
        while not self._stop.is_set():
            rss = 0
            for process in self.processes:
                try:
                    times = process.cpu_times()
                    rss += process.memory_info().rss
                except psutil.Error:
                    continue
                last_cpu[process.pid] = times.user + times.system
            if last_cpu:
                self.samples.append((time.perf_counter(), sum(last_cpu.values()), rss))
            self._stop.wait(self.every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc_info):
        self._stop.set()
        self._thread.join(timeout=5)

    def cpu_pct(self, start, end):
        """The server's CPU use between start and end (perf_counter), in % of one core."""
        window = [s for s in self.samples if start <= s[0] <= end]
        if len(window) < 2:
            return None
        (t0, c0, _), (t1, c1, _) = window[0], window[-1]
        return round(100 * (c1 - c0) / (t1 - t0), 1) if t1 > t0 else None

    def peak_rss_mb(self):
        return round(max(s[2] for s in self.samples) / 2**20, 1) if self.samples else None


# -- one scenario --------------------------------------------------------------------------

def run_scenario(name, mode):
    spec = dict(SCENARIOS[name])
    table_count = spec.pop("tables")
    if name == "baseline":
        codes = [f"RELAY{n}" for n in range(table_count)]
        with RelayServer(mode, codes) as relay:
            plan = Plan(name=name, url=relay.url, tables=codes, **spec)
            return _measure(plan, [relay.process.pid])
    if name.endswith("-scaleout"):
        return _run_scaled_out(name, mode, spec, table_count)
    with AppServer(env={"SOCKETIO_ASYNC_MODE": mode}) as server:
        session = organizer_session(server)
        codes = set_up_event(server, session, table_count)
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        plan = Plan(name=name, url=server.url, tables=codes, screen_cookie=cookie, **spec)
        result = _measure(plan, [server.process.pid])
        if "Traceback" in server.log_tail(2000):
            result["details"]["server_tracebacks"] = server.log_tail(2000).count("Traceback")
        return result


def _run_scaled_out(name, mode, spec, table_count):
    """The scenario against SCALE_OUT_WORKERS workers on a durable PostgreSQL,
    joined by Redis (also the rate limits' storage), behind the shipped nginx
    site, all on loopback and started here as `make test`'s scale-out test does.
    The server's CPU and memory are the workers' sum; PostgreSQL, Redis and
    nginx are reported apart in the details."""
    from tests.scaleout.engines import scaled_out

    with scaled_out([mode] * SCALE_OUT_WORKERS, behind_nginx=SCALE_OUT_WORKERS, settings={"SECRET_KEY": "bench"},
                    durable=True, share_limits=True, worker_connections=4 * spec["phones"] + 64) as started:
        front = SimpleNamespace(url=started.nginx.url, organizer=started.workers[0].organizer)
        session = organizer_session(front)
        codes = set_up_event(front, session, table_count)
        cookie = "; ".join(f"{k}={v}" for k, v in session.cookies.items())
        plan = Plan(name=name, url=front.url, tables=codes, screen_cookie=cookie, **spec)
        engines = {"postgresql": _process_tree(started.postgres), "redis": [started.redis.process.pid],
                   "nginx": [started.nginx.process.pid]}
        with ProcessSampler([pid for pids in engines.values() for pid in pids]) as engine_sampler:
            result = _measure(plan, [worker.process.pid for worker in started.workers])
        start, end = result["window"]
        result["details"]["workers"] = SCALE_OUT_WORKERS
        result["details"]["engines_cpu_pct"] = engine_sampler.cpu_pct(start, end)
        result["details"]["engines_peak_rss_mb"] = engine_sampler.peak_rss_mb()
        return result


def _process_tree(postgres):
    """PostgreSQL's postmaster and its backends, as they are now (the workers' pools keep theirs open)."""
    pid = int((postgres.data / "postmaster.pid").read_text().split()[0])
    root = psutil.Process(pid)
    return [pid, *(child.pid for child in root.children(recursive=True))]


def _measure(plan, pids):
    # This machine may be shared: note how busy it was, server and generator included.
    load_before = os.getloadavg()[0]
    psutil.cpu_percent(interval=None)
    with ProcessSampler(pids) as sampler:
        metrics = asyncio.run(run_load(plan))
    machine_busy = psutil.cpu_percent(interval=None)
    start, end = metrics.window
    burst = plan.join_window_s > 0
    errors = sum(metrics.refused.values()) + metrics.projector_missed
    scenario = {
        "name": plan.name,
        "phones": plan.phones,
        "connected": metrics.joined,
        "actions_per_s": round(metrics.actions / metrics.load_seconds, 1) if metrics.actions else 0.0,
        # For a burst the action is the join itself: join link to snapshot.
        "ack_ms": percentiles(metrics.join_times if burst else metrics.ack_times),
        "projector_ms": percentiles(metrics.projector_times),
        "phones_converged": metrics.joined == plan.phones and metrics.converged == metrics.joined,
        "errors": errors,
        "server_cpu_pct": sampler.cpu_pct(start, end),
        "server_peak_rss_mb": sampler.peak_rss_mb(),
    }
    details = {
        "name": plan.name,
        "tables": len(plan.tables),
        "actions": metrics.actions,
        "join_ms": percentiles(metrics.join_times),
        "other_phones_ms": percentiles(metrics.phone_times),
        "converged": metrics.converged,
        "refused": metrics.refused,
        "projector_missed": metrics.projector_missed,
        "first_errors": metrics.errors[:5],
        "load_avg_before": round(load_before, 2),
        "machine_cpu_busy_pct": machine_busy,
        **metrics.phases,
    }
    return {"scenario": scenario, "details": details, "window": (start, end)}


def machine():
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_mb": round(psutil.virtual_memory().total / 2**20),
            "os": platform.platform(), "python": platform.python_version(),
            "open_files_limit": resource.getrlimit(resource.RLIMIT_NOFILE)[0]}


def ratio(a, b):
    return round(a / b, 2) if a is not None and b else None


def run_mode(mode, names):
    scenarios, details = [], []
    for name in names:
        started = time.monotonic()
        print(f"[{mode}] {name} ...", flush=True)
        result = run_scenario(name, mode)
        scenarios.append(result["scenario"])
        details.append({**result["details"], "wall_s": round(time.monotonic() - started, 1)})
    by_name = {s["name"]: s for s in scenarios}
    event, base = by_name.get("event-1000"), by_name.get("baseline")
    ratios = {
        "projector_p95_vs_baseline": ratio(event["projector_ms"]["p95"], base["projector_ms"]["p95"])
        if event and base else None,
        "cpu_vs_baseline": ratio(event["server_cpu_pct"], base["server_cpu_pct"]) if event and base else None,
    }
    report = {"machine": machine(), "async_mode": mode, "scenarios": scenarios, "ratios": ratios}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"latest-{mode}.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / f"latest-{mode}-details.json").write_text(json.dumps(details, indent=2) + "\n")
    if mode == DEFAULT_MODE:
        (RESULTS / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    return report, details


def table(report, details):
    def ms(figures):
        return "/".join("-" if figures[k] is None else f"{figures[k]:g}" for k in ("p50", "p95", "p99"))

    extra = {d["name"]: d for d in details}
    rows = [("scenario", "phones", "conn", "act/s", "ack ms p50/95/99", "projector ms p50/95/99",
             "other phones ms p95", "conv", "err", "cpu %", "rss MB")]
    for s in report["scenarios"]:
        rows.append((s["name"], str(s["phones"]), str(s["connected"]), f"{s['actions_per_s']:g}", ms(s["ack_ms"]),
                     ms(s["projector_ms"]), str(extra[s["name"]]["other_phones_ms"]["p95"] or "-"),
                     "yes" if s["phones_converged"] else "NO", str(s["errors"]), str(s["server_cpu_pct"]),
                     str(s["server_peak_rss_mb"])))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [f"async mode: {report['async_mode']}"]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.append(f"ratios vs baseline: {report['ratios']}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default=os.environ.get("BENCH_MODES", "eventlet,gevent"))
    parser.add_argument("--scenarios", default=os.environ.get("BENCH_SCENARIOS", ",".join(SCENARIOS)))
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.scenarios.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenarios {unknown}; known: {', '.join(SCENARIOS)}")
    raise_open_files_limit()
    tables = []
    for mode in [m.strip() for m in args.modes.split(",") if m.strip()]:
        report, details = run_mode(mode, names)
        tables.append(table(report, details))
        print(tables[-1], flush=True)
    (RESULTS / "latest.txt").write_text("\n\n".join(tables) + "\n")
    print("\n\n".join(tables))


if __name__ == "__main__":
    sys.exit(main())
