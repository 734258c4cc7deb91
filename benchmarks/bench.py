"""Load benchmark: Wegwijzer (demo and production setup) against Rasa's stock `rasa init` assistant.

`make bench` runs it. In one run on one machine it starts, one after the other:

- `demo`:       `wegwijzer serve` with endpoints.yml (in-memory tracker store, its own action
                server), the way contract 5 serves the demo;
- `production`: `wegwijzer actions --production` + `wegwijzer serve --production` with
                endpoints.prod.yml against this machine's PostgreSQL (a database created for the
                run and dropped after) and Redis (a key prefix of the run);
- `stock`:      the reference: `rasa init --no-prompt` in a temporary directory (which trains
                Rasa's moodbot there), served the stock way with `rasa run` + `rasa run actions`;

and sends realistic conversations (Dutch for Wegwijzer: knowledge questions, "ik snap het niet",
an audience switch, the refusal path with its date form, and a case lookup when the model has the
case lookup form; the moodbot's own English conversations for the reference) from 1, 10, 20 and 50
concurrent conversations. Per level it reports p50/p95/p99 latency per message, messages per second,
failures, and the server processes' CPU time per message (read from /proc: less sensitive to other
work on the machine than latency). Then it tries the speed levers one at a time against the
production setup at 20 conversations, and keeps a lever only if the numbers say so.

Output: benchmarks/results.json (everything), benchmarks/results.md (tables, the goal check) and
benchmarks/results.png (the plot).

Why a small asyncio client on aiohttp and not Locust: aiohttp is already installed with Rasa (no
new dependency; Locust pulls in gevent, Flask and its own pins next to Rasa's), a closed-loop
"virtual user = one conversation at a time" is a few dozen lines, the latencies are measured in
the same process without Locust's sampling and web UI, and on a 2-core machine the load generator
competes with the servers for CPU: one asyncio loop costs far less than gevent greenlets with
Locust's stats machinery. The whole run (three setups, levers, reference) is one script.

Bounded: every level runs for a fixed time (warm-up + measurement), every request has a timeout,
each run caps its messages, and all traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks"
PY = sys.executable
BIN = Path(PY).parent
UNAVAILABLE_MARK = "Het lukt even niet"
LEVELS = (1, 10, 20, 50)
GOAL_LEVEL = 20
MAX_MESSAGES_PER_LEVEL = 50_000
REQUEST_TIMEOUT = 60.0

# --- conversations ------------------------------------------------------------------------------

WEGWIJZER_CONVERSATIONS: list[list[str]] = [
    [  # a parent finding the way, asking for simpler words
        "Hallo",
        "Mijn dochter van 9 heeft een verstandelijke beperking, waar begin ik om hulp te regelen?",
        "ik snap het niet",
        "Wat gebeurt er bij het keukentafelgesprek?",
        "Hoeveel weken mag de gemeente doen over een besluit?",
        "bedankt",
    ],
    [  # easy language from the start
        '/set_audience{"audience":"simple"}',
        "Wie kan mij gratis helpen bij het gesprek met de gemeente?",
        "Wat is een pgb?",
        "Ik wacht al heel lang op hulp",
        "doei",
    ],
    [  # the refusal path with its date form
        "Goedemiddag",
        "Het CIZ heeft de Wlz-aanvraag van mijn zoon afgewezen, wat nu?",
        "de brief is van 3 november",
        "kan ik een voorbeeld van een bezwaarbrief krijgen?",
        "dank je wel",
    ],
    [  # a professional
        '/set_audience{"audience":"professional"}',
        "Welke wet geldt bij levenslange en levensbrede ondersteuning?",
        "Wat als de gemeente en het CIZ naar elkaar wijzen?",
        "Tot wanneer kan bezwaar worden gemaakt als het besluit van 14-10-2026 is?",
        "Wat is doorzettingsmacht?",
    ],
]
CASE_LOOKUP = ["Hallo", "Hoe staat het met mijn aanvraag?", "DEMO-1005", "9 mei 2011", "Wat gebeurt er nu met mijn aanvraag?"]
STOCK_CONVERSATIONS: list[list[str]] = [
    ["hello", "I am sad", "yes", "bye"],
    ["hi there", "great", "goodbye"],
    ["hey", "are you a bot?", "I am feeling very good", "see you later"],
    ["good morning", "very sad", "no", "bye"],
]


# --- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http_ok(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=3) as reply:
            return reply.status == 200
    except OSError:
        return False


@dataclass
class Proc:
    name: str
    process: subprocess.Popen
    log: Path

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def spawn(name: str, command: list[str], cwd: Path, env: dict, logdir: Path) -> Proc:
    log = logdir / f"{name}.log"
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(name, process, log)


def wait_http(proc: Proc, url: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.process.poll() is not None:
            raise RuntimeError(f"{proc.name} stopped:\n{proc.tail()}")
        if _http_ok(url):
            return
        time.sleep(0.5)
    raise RuntimeError(f"{proc.name} did not answer on {url}:\n{proc.tail()}")


def stop(proc: Optional[Proc]) -> None:
    if proc is None or proc.process.poll() is not None:
        return
    try:
        os.killpg(proc.process.pid, signal.SIGTERM)
        proc.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.process.pid, signal.SIGKILL)
        proc.process.wait(timeout=10)
    except ProcessLookupError:
        pass


def process_tree(pid: int) -> list[int]:
    """`pid` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
        except OSError:
            pass
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return round(total / 1024, 1)


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


# --- services for the production setup -----------------------------------------------------------


def pg_admin():
    import psycopg2

    connection = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres",
                                  connect_timeout=3)
    connection.autocommit = True
    return connection


def pg_create(name: str) -> None:
    connection = pg_admin()
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()


def pg_drop(name: str) -> None:
    try:
        connection = pg_admin()
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.close()
    except Exception as error:  # noqa: BLE001
        print(f"  (could not drop {name}: {error})")


# --- targets ------------------------------------------------------------------------------------


@dataclass
class Target:
    """One way of serving, with its start and stop."""

    name: str
    description: str
    conversations: list[list[str]]
    start: Callable[["Target"], None]
    url: str = ""
    procs: list[Proc] = field(default_factory=list)
    cleanup: list[Callable[[], None]] = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    def pids(self) -> list[int]:
        return [pid for proc in self.procs if proc.process.poll() is None
                for pid in process_tree(proc.process.pid)]

    def stop(self) -> None:
        for proc in reversed(self.procs):
            stop(proc)
        for step in reversed(self.cleanup):
            step()
        self.procs, self.cleanup = [], []


def base_env(**extra: str) -> dict:
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore"}
    env.update(extra)
    return env


def start_demo(target: Target, model: str, logdir: Path, cases_url: str) -> None:
    port, action_port = free_port(), free_port()
    env = base_env(WEGWIJZER_DATABASE_URL=cases_url, **target.notes.get("env", {}))
    proc = spawn(target.name, [PY, "-m", "bot.cli", "serve", "--port", str(port), "--action-port",
                               str(action_port), "--model", model], ROOT, env, logdir)
    target.procs.append(proc)
    wait_http(proc, f"http://127.0.0.1:{port}/health")
    target.url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def start_production(target: Target, model: str, logdir: Path, workers: int = 1,
                     endpoints: Optional[str] = None, extra_env: Optional[dict] = None,
                     actions_env: Optional[dict] = None) -> None:
    db = f"wegwijzer_bench_{uuid.uuid4().hex[:10]}"
    pg_create(db)
    target.cleanup.append(lambda: pg_drop(db))
    cases_url = f"postgresql+psycopg2://postgres@127.0.0.1:5432/{db}"
    subprocess.run([PY, "-m", "bot.cases", "demo", "--database-url", cases_url], cwd=ROOT,
                   check=True, capture_output=True, env=base_env())
    action_port, port = free_port(), free_port()
    env = base_env(
        POSTGRES_HOST="127.0.0.1", POSTGRES_PORT="5432", POSTGRES_DB=db, POSTGRES_USER="postgres",
        POSTGRES_PASSWORD="", REDIS_HOST="127.0.0.1", REDIS_PORT="6379",
        REDIS_KEY_PREFIX=f"bench{uuid.uuid4().hex[:8]}",
        ACTION_SERVER_URL=f"http://127.0.0.1:{action_port}/webhook", WEGWIJZER_DATABASE_URL=cases_url,
        **(extra_env or {}),
    )
    actions = spawn(f"{target.name}-actions", [PY, "-m", "bot.cli", "actions", "--production",
                                               "--port", str(action_port)], ROOT,
                    {**env, **(actions_env or {})}, logdir)
    target.procs.append(actions)
    wait_http(actions, f"http://127.0.0.1:{action_port}/health")
    command = [PY, "-m", "bot.cli", "serve", "--production", "--port", str(port), "--model", model,
               "--workers", str(workers)]
    if endpoints:
        command += ["--endpoints", endpoints]
    proc = spawn(target.name, command, ROOT, env, logdir)
    target.procs.append(proc)
    wait_http(proc, f"http://127.0.0.1:{port}/health")
    target.url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"


def prepare_stock(directory: Optional[Path], logdir: Path) -> Path:
    """`rasa init --no-prompt` in a temporary directory (it trains the moodbot there)."""
    if directory and list((directory / "models").glob("*.tar.gz")):
        return directory
    directory = directory or Path(tempfile.mkdtemp(prefix="rasa-init-"))
    directory.mkdir(parents=True, exist_ok=True)
    print(f"  rasa init --no-prompt in {directory} (trains the stock assistant) ...", flush=True)
    started = time.monotonic()
    with (logdir / "stock-init.log").open("w") as log:
        subprocess.run([str(BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(directory)],
                       cwd=directory, env=base_env(), stdout=log, stderr=subprocess.STDOUT,
                       check=True, timeout=3600)
    print(f"  trained in {time.monotonic() - started:.0f} s", flush=True)
    return directory


def start_stock(target: Target, directory: Path, logdir: Path) -> None:
    port, action_port = free_port(), free_port()
    env = base_env(SANIC_HOST="127.0.0.1")  # loopback only; otherwise Rasa's defaults
    actions = spawn("stock-actions", [str(BIN / "rasa"), "run", "actions", "--port", str(action_port)],
                    directory, env, logdir)
    target.procs.append(actions)
    wait_http(actions, f"http://127.0.0.1:{action_port}/health")
    proc = spawn("stock", [str(BIN / "rasa"), "run", "--port", str(port), "--interface", "127.0.0.1"], directory, env, logdir)
    target.procs.append(proc)
    wait_http(proc, f"http://127.0.0.1:{port}/webhooks/rest/")
    target.url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"


# --- load ---------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> Optional[float]:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


async def run_level(target: Target, concurrency: int, warmup: float, duration: float) -> dict:
    import aiohttp

    latencies: list[float] = []
    completions = failures = errors = 0
    begin = time.monotonic()
    measure_from, stop_at = begin + warmup, begin + warmup + duration
    counter = {"sent": 0}
    cpu_start: dict = {}

    async def user(index: int, session: aiohttp.ClientSession) -> None:
        nonlocal completions, failures, errors
        turn = index
        while time.monotonic() < stop_at and counter["sent"] < MAX_MESSAGES_PER_LEVEL:
            script = target.conversations[turn % len(target.conversations)]
            turn += 1
            sender = f"bench-{uuid.uuid4().hex[:16]}"
            for text in script:
                if time.monotonic() >= stop_at:
                    return
                counter["sent"] += 1
                started = time.monotonic()
                ok, failed = False, False
                try:
                    async with session.post(target.url, json={"sender": sender, "message": text}) as reply:
                        body = await reply.json(content_type=None)
                        ok = reply.status == 200 and isinstance(body, list) and bool(body)
                        failed = ok and any(UNAVAILABLE_MARK in (m.get("text") or "") for m in body)
                except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                    ok = False
                ended = time.monotonic()
                if started >= measure_from:
                    latencies.append(ended - started)
                    errors += not ok
                    failures += failed
                if measure_from <= ended <= stop_at and ok:
                    completions += 1

    async def mark_cpu() -> None:
        await asyncio.sleep(max(0.0, measure_from - time.monotonic()))
        cpu_start["t"] = cpu_seconds(target.pids())

    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    connector = aiohttp.TCPConnector(limit=concurrency + 5)
    load_before = loadavg()
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        marker = asyncio.create_task(mark_cpu())
        users = [asyncio.create_task(user(i, session)) for i in range(concurrency)]
        await asyncio.sleep(max(0.0, stop_at - time.monotonic()))
        cpu_used = cpu_seconds(target.pids()) - cpu_start.get("t", 0.0)
        await marker
        await asyncio.gather(*users)
    ok_latencies = latencies
    ms = [round(v * 1000, 1) for v in ok_latencies]
    return {
        "concurrency": concurrency,
        "messages": len(ms),
        "messages_per_s": round(completions / duration, 2),
        "p50_ms": percentile(ms, 50),
        "p95_ms": percentile(ms, 95),
        "p99_ms": percentile(ms, 99),
        "mean_ms": round(statistics.fmean(ms), 1) if ms else None,
        "errors": errors,
        "failure_answers": failures,
        "server_cpu_ms_per_message": round(1000 * cpu_used / completions, 1) if completions else None,
        "loadavg_before": load_before,
        "loadavg_after": loadavg(),
    }


def measure(target: Target, levels: list[int], warmup: float, duration: float) -> dict:
    results = {}
    for level in levels:
        result = asyncio.run(run_level(target, level, warmup, duration))
        results[str(level)] = result
        print(f"    {target.name:>24} c={level:<3} {result['messages_per_s']:>7} msg/s  "
              f"p50 {result['p50_ms']} ms  p95 {result['p95_ms']} ms  p99 {result['p99_ms']} ms  "
              f"errors {result['errors']}  cpu/msg {result['server_cpu_ms_per_message']} ms  "
              f"load {result['loadavg_before'][0]}", flush=True)
    return results


def run_target(target: Target, levels: list[int], warmup: float, duration: float) -> dict:
    print(f"  {target.name}: starting ...", flush=True)
    started = time.monotonic()
    try:
        target.start(target)
        startup = round(time.monotonic() - started, 1)
        # One conversation first, so that first-request costs (graph warm-up) are not measured.
        asyncio.run(run_level(target, 1, 0, 3))
        results = measure(target, levels, warmup, duration)
        memory = rss_mb(target.pids())
    finally:
        target.stop()
    return {"description": target.description, "startup_s": startup, "rss_mb": memory,
            "levels": results}


# --- the run ------------------------------------------------------------------------------------


def blocking_db_sitecustomize(directory: Path) -> str:
    """A `sitecustomize` for the action server that makes `asyncio.to_thread` run the call inline.

    actions/case_lookup.py runs every blocking SQLAlchemy call in a worker thread
    (`asyncio.to_thread`); this counterfactual runs them on the event loop instead, to measure
    what the thread hand-off buys.
    """
    folder = directory / "blocking-db"
    folder.mkdir(exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import asyncio\n\n"
        "async def _inline(func, /, *args, **kwargs):\n"
        "    return func(*args, **kwargs)\n\n"
        "asyncio.to_thread = _inline\n"
    )
    return str(folder)


def selective_domain_endpoints(directory: Path) -> str:
    text = (ROOT / "endpoints.prod.yml").read_text()
    text = text.replace("action_endpoint:\n  url: ${ACTION_SERVER_URL}\n",
                        "action_endpoint:\n  url: ${ACTION_SERVER_URL}\n  enable_selective_domain: true\n")
    if "enable_selective_domain" not in text:
        raise RuntimeError("could not add enable_selective_domain to endpoints.prod.yml's action_endpoint")
    path = directory / "endpoints.selective.yml"
    path.write_text(text)
    return str(path)


def decide(baseline: dict, result: dict) -> tuple[bool, str]:
    """Keep a lever when it gives ≥5 % more messages/s without a worse p95 (beyond 5 % noise),
    or a ≥10 % lower p95 at the same throughput."""
    gain = result["messages_per_s"] / baseline["messages_per_s"] - 1 if baseline["messages_per_s"] else 0
    p95_change = (result["p95_ms"] / baseline["p95_ms"] - 1) if baseline["p95_ms"] and result["p95_ms"] else 0
    if result["errors"] > baseline["errors"]:
        return False, f"more errors ({result['errors']} vs {baseline['errors']})"
    if gain >= 0.05 and p95_change <= 0.05:
        return True, f"{gain:+.0%} msg/s, p95 {p95_change:+.0%}"
    if p95_change <= -0.10 and gain >= -0.03:
        return True, f"p95 {p95_change:+.0%} at {gain:+.0%} msg/s"
    return False, f"{gain:+.0%} msg/s, p95 {p95_change:+.0%}: not better beyond noise"


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Wegwijzer load benchmark (see the module docstring)")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)))
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds per level not measured")
    parser.add_argument("--duration", type=float, default=30.0, help="measured seconds per level")
    parser.add_argument("--targets", default="demo,production,stock")
    parser.add_argument("--no-levers", action="store_true", help="skip the lever runs")
    parser.add_argument("--levers", default="sanic_workers,tf_threads,selective_domain,blocking_db",
                        help="which levers to try (comma-separated)")
    parser.add_argument("--model", default=None)
    parser.add_argument("--stock-dir", type=Path, default=None,
                        help="reuse this `rasa init` directory (trained there) instead of a new temp dir")
    parser.add_argument("--output", type=Path, default=OUT)
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: rewrite results.md from results.json (after editing analysis.md)")
    args = parser.parse_args(argv)
    if args.render_only:
        report = json.loads((args.output / "results.json").read_text())
        (args.output / "results.md").write_text(markdown(report))
        print(f"Written: {args.output / 'results.md'} (from results.json)")
        return 0

    sys.path.insert(0, str(ROOT))
    from bot.cli import latest_model

    os.chdir(ROOT)
    model = args.model or latest_model()
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    wanted = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not model and set(wanted) - {"stock"}:
        print("Geen model in models/: train eerst (make train).", file=sys.stderr)
        return 2
    args.output.mkdir(parents=True, exist_ok=True)
    logdir = Path(tempfile.mkdtemp(prefix="wegwijzer-bench-"))
    if model:  # a private copy: `make train` may replace models/ while the benchmark runs
        copy = logdir / Path(model).name
        shutil.copy2(model, copy)
        model = str(copy)
    print(f"Model {model}; levels {levels}; {args.warmup:.0f}+{args.duration:.0f} s per level; logs {logdir}",
          flush=True)

    conversations = list(WEGWIJZER_CONVERSATIONS) + [CASE_LOOKUP]
    cases_db = logdir / "cases.db"
    cases_url = f"sqlite:///{cases_db}"
    subprocess.run([PY, "-m", "bot.cases", "demo", "--database-url", cases_url], cwd=ROOT, check=True,
                   capture_output=True, env=base_env())

    report: dict = {
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "loadavg_at_start": loadavg()},
        "model": Path(model).name if model else None,
        "case_lookup_in_conversations": True,
        "settings": {"levels": levels, "warmup_s": args.warmup, "duration_s": args.duration,
                     "request_timeout_s": REQUEST_TIMEOUT},
        "conversations": {"wegwijzer": conversations, "stock": STOCK_CONVERSATIONS},
        "targets": {},
        "levers": [],
    }

    targets = {
        "demo": Target("demo", "wegwijzer serve (endpoints.yml: in-memory tracker store, own action server)",
                       conversations, lambda t: start_demo(t, model, logdir, cases_url)),
        "production": Target("production", "wegwijzer serve --production (PostgreSQL + Redis), 1 Sanic worker, "
                             "wegwijzer actions", conversations,
                             lambda t: start_production(t, model, logdir)),
        "stock": Target("stock", "Rasa's `rasa init` assistant: rasa run + rasa run actions",
                        STOCK_CONVERSATIONS, lambda t: None),
    }
    try:
        for name in wanted:
            target = targets[name]
            if name == "stock":
                stock_dir = prepare_stock(args.stock_dir, logdir)
                target.start = lambda t, d=stock_dir: start_stock(t, d, logdir)
            report["targets"][name] = run_target(target, levels, args.warmup, args.duration)
            write_outputs(report, args.output)

        if not args.no_levers and "production" in report["targets"] and GOAL_LEVEL in levels:
            baseline = report["targets"]["production"]["levels"][str(GOAL_LEVEL)]
            levers = [
                ("sanic_workers", "SANIC_WORKERS=2 (Redis lock store)",
                 lambda t: start_production(t, model, logdir, workers=2)),
                ("tf_threads", "TF_INTRA_OP_PARALLELISM_THREADS=1, TF_INTER_OP_PARALLELISM_THREADS=1",
                 lambda t: start_production(t, model, logdir, extra_env={
                     "TF_INTRA_OP_PARALLELISM_THREADS": "1", "TF_INTER_OP_PARALLELISM_THREADS": "1"})),
                ("selective_domain", "action_endpoint.enable_selective_domain: true",
                 lambda t: start_production(t, model, logdir, endpoints=selective_domain_endpoints(logdir))),
            ]
            levers.append((
                "blocking_db", "case store calls inline on the action server's event loop "
                "(instead of asyncio.to_thread, the current code)",
                lambda t: start_production(t, model, logdir, actions_env={
                    "PYTHONPATH": blocking_db_sitecustomize(logdir)})))
            chosen = {name.strip() for name in args.levers.split(",")}
            levers = [lever for lever in levers if lever[0] in chosen]
            for name, setting, start in levers:
                print(f"  lever {name}: {setting}", flush=True)
                lever_target = Target(f"production+{name}", setting, conversations, start)
                result = run_target(lever_target, [GOAL_LEVEL], args.warmup, args.duration)
                level = result["levels"][str(GOAL_LEVEL)]
                kept, reason = decide(baseline, level)
                report["levers"].append({"name": name, "setting": setting, "baseline": baseline,
                                         "result": level, "rss_mb": result["rss_mb"], "kept": kept,
                                         "reason": reason})
                print(f"    -> {'KEEP' if kept else 'drop'}: {reason}", flush=True)
                write_outputs(report, args.output)
    finally:
        for target in targets.values():
            target.stop()
    report["machine"]["loadavg_at_end"] = loadavg()
    write_outputs(report, args.output)
    print(f"Written: {args.output / 'results.md'}, results.json, results.png")
    return 0


# --- output -------------------------------------------------------------------------------------


def goal_check(report: dict) -> Optional[dict]:
    targets = report["targets"]
    ours_name = "production" if "production" in targets else "demo"
    if ours_name not in targets or "stock" not in targets:
        return None
    level = str(GOAL_LEVEL)
    if level not in targets[ours_name]["levels"] or level not in targets["stock"]["levels"]:
        return None
    ours, stock = targets[ours_name]["levels"][level], targets["stock"]["levels"][level]
    candidates = [(ours_name, ours)] + [
        (f"production+{lever['name']}", lever["result"]) for lever in report["levers"] if lever["kept"]]
    best_name, best = max(candidates, key=lambda item: item[1]["messages_per_s"])
    throughput_ratio = best["messages_per_s"] / stock["messages_per_s"] if stock["messages_per_s"] else None
    p95_ratio = best["p95_ms"] / stock["p95_ms"] if stock["p95_ms"] and best["p95_ms"] else None
    return {
        "level": GOAL_LEVEL, "ours": best_name, "ours_messages_per_s": best["messages_per_s"],
        "ours_p95_ms": best["p95_ms"], "stock_messages_per_s": stock["messages_per_s"],
        "stock_p95_ms": stock["p95_ms"],
        "throughput_ratio": round(throughput_ratio, 2) if throughput_ratio else None,
        "p95_ratio": round(p95_ratio, 2) if p95_ratio else None,
        "throughput_goal_met": bool(throughput_ratio and throughput_ratio >= 2),
        "p95_goal_met": bool(p95_ratio and p95_ratio <= 0.5),
        "ours_cpu_ms_per_message": best["server_cpu_ms_per_message"],
        "stock_cpu_ms_per_message": stock["server_cpu_ms_per_message"],
    }


def write_outputs(report: dict, out: Path) -> None:
    report["goal"] = goal_check(report)
    (out / "results.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    plot(report, out / "results.png")
    (out / "results.md").write_text(markdown(report))


def plot(report: dict, path: Path) -> None:
    if not report["targets"]:
        return
    os.environ.setdefault("MPLCONFIGDIR", tempfile.gettempdir())
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, target in report["targets"].items():
        levels = sorted(target["levels"].values(), key=lambda r: r["concurrency"])
        xs = [r["concurrency"] for r in levels]
        left.plot(xs, [r["messages_per_s"] for r in levels], marker="o", label=name)
        right.plot(xs, [r["p95_ms"] for r in levels], marker="o", label=name)
    for lever in report["levers"]:
        label = f"+{lever['name']}" + (f" ({lever['run']})" if lever.get("run") else "")
        left.scatter([GOAL_LEVEL], [lever["result"]["messages_per_s"]], marker="x", label=label)
        right.scatter([GOAL_LEVEL], [lever["result"]["p95_ms"]], marker="x", label=label)
    left.set(title="Throughput", xlabel="concurrent conversations", ylabel="messages / s")
    right.set(title="p95 latency per message", xlabel="concurrent conversations", ylabel="ms")
    left.set_ylim(bottom=0)
    right.set_yscale("log")
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_xticks(report["settings"]["levels"])
        axis.set_xticklabels([str(level) for level in report["settings"]["levels"]])
    for axis in (left, right):
        axis.grid(True, alpha=0.3)
        axis.legend(fontsize=8)
    figure.suptitle(f"Wegwijzer vs stock rasa init, {report['machine']['cpus']} CPUs, {report['started_at']}")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _cell(value) -> str:
    return "–" if value is None else f"{value}"


def markdown(report: dict) -> str:
    lines = [
        "# Load benchmark",
        "",
        f"Written by `make bench` (benchmarks/bench.py) on {report['started_at']}: model "
        f"`{report['model']}`, {report['machine']['cpus']} CPUs, load average at start "
        f"{report['machine']['loadavg_at_start']}"
        + (f", at end {report['machine']['loadavg_at_end']}" if "loadavg_at_end" in report["machine"] else "")
        + ". Each level: "
        f"{report['settings']['warmup_s']:.0f} s warm-up, {report['settings']['duration_s']:.0f} s measured; "
        "closed loop (each virtual user holds one conversation and sends its next message when the "
        "answer arrives). Latency per message; messages/s = answered messages in the measured window; "
        "CPU ms/msg = CPU time of the server processes (Rasa + action server) per answered message, "
        "which depends least on other work on the machine.",
        "",
        "Case lookup in the conversations: " + ("yes" if report["case_lookup_in_conversations"] else
                                                "no (the model has no case lookup form yet)") + ".",
        "",
        "| setup | conversations | msg/s | p50 ms | p95 ms | p99 ms | errors | CPU ms/msg | load before |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, target in report["targets"].items():
        for result in sorted(target["levels"].values(), key=lambda r: r["concurrency"]):
            lines.append(
                f"| {name} | {result['concurrency']} | {result['messages_per_s']} | {_cell(result['p50_ms'])} | "
                f"{_cell(result['p95_ms'])} | {_cell(result['p99_ms'])} | {result['errors']} | "
                f"{_cell(result['server_cpu_ms_per_message'])} | {result['loadavg_before'][0]} |")
    if report.get("notes"):
        lines += ["", report["notes"]]
    lines += ["", "![throughput and p95 latency](results.png)", "", "## Setups", ""]
    for name, target in report["targets"].items():
        lines.append(f"- **{name}**: {target['description']}; start-up {target['startup_s']} s; "
                     f"memory (RSS, all its processes) {target['rss_mb']} MB.")
    if report["levers"]:
        lines += ["", f"## Speed levers, one at a time (production setup, {GOAL_LEVEL} conversations)", "",
                  "Kept only with ≥5 % more msg/s and a p95 no worse than 5 %, or a ≥10 % lower p95 at "
                  "the same msg/s (the machine is shared, so smaller differences are noise).", "",
                  "| lever | msg/s (baseline) | p95 ms (baseline) | CPU ms/msg (baseline) | errors | verdict |",
                  "|---|---:|---:|---:|---:|---|"]
        for lever in report["levers"]:
            r, b = lever["result"], lever["baseline"]
            lines.append(
                f"| {lever['setting']} | {r['messages_per_s']} ({b['messages_per_s']}) | {_cell(r['p95_ms'])} "
                f"({_cell(b['p95_ms'])}) | {_cell(r['server_cpu_ms_per_message'])} "
                f"({_cell(b['server_cpu_ms_per_message'])}) | {r['errors']} | "
                f"{'**kept**' if lever['kept'] else 'dropped'}: {lever['reason']} |")
    goal = report.get("goal")
    if goal:
        lines += ["", f"## Goal at {goal['level']} conversations", "",
                  f"Ours ({goal['ours']}): {goal['ours_messages_per_s']} msg/s, p95 {goal['ours_p95_ms']} ms; "
                  f"stock: {goal['stock_messages_per_s']} msg/s, p95 {goal['stock_p95_ms']} ms.",
                  f"Throughput ratio {goal['throughput_ratio']} (goal ≥ 2: "
                  f"{'met' if goal['throughput_goal_met'] else 'not met'}); p95 ratio {goal['p95_ratio']} "
                  f"(goal ≤ 0.5: {'met' if goal['p95_goal_met'] else 'not met'}).",
                  f"CPU per message: ours {goal['ours_cpu_ms_per_message']} ms, stock "
                  f"{goal['stock_cpu_ms_per_message']} ms."]
    analysis = OUT / "analysis.md"
    if analysis.exists():
        lines += ["", analysis.read_text().strip()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
