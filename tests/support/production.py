"""The production setup for tests: PostgreSQL database, Redis, `wegwijzer serve --production`
and `wegwijzer actions` as subprocesses, and the machine's commands to stop and start the services.

The commands to (re)start PostgreSQL and Redis are the ones in the machine notes
(/work/.library/env/machines/python-svc.md); they are also what CI's machine runs.
"""
from __future__ import annotations

import glob
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from tests.support.servers import ROOT, ServedBot, free_port, stop_bot

PG_HOST, PG_PORT, PG_USER = "127.0.0.1", 5432, "postgres"
REDIS_HOST, REDIS_PORT = "127.0.0.1", 6379
ADMIN_URL_ENV = "WEGWIJZER_TEST_POSTGRES_URL"
DEFAULT_ADMIN_URL = f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/postgres"

REDIS_START = [
    "redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "-::1", "--port", "6379",
    "--save", "", "--appendonly", "no", "--dir", "/var/lib/redis",
    "--logfile", "/var/log/redis/ci.log",
]


# --- PostgreSQL ----------------------------------------------------------------------------------


def pg_connect(dbname: str = "postgres", timeout: int = 3):
    import psycopg2

    connection = psycopg2.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname,
                                  connect_timeout=timeout)
    connection.autocommit = True
    return connection


def pg_reachable() -> tuple[bool, str]:
    try:
        pg_connect().close()
        return True, ""
    except Exception as error:  # noqa: BLE001
        return False, " ".join(str(error).split())


def create_database(prefix: str = "wegwijzer_prod") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    connection = pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
    finally:
        connection.close()
    return name


def drop_database(name: str) -> None:
    wait_for_postgres(60)
    connection = pg_connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        connection.close()


def database_url(name: str) -> str:
    return f"postgresql+psycopg2://{PG_USER}@{PG_HOST}:{PG_PORT}/{name}"


def pg_cluster_version() -> str:
    versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
    if not versions:
        raise RuntimeError("no PostgreSQL cluster in /etc/postgresql")
    return versions[-1]


def pg_ctl(action: str) -> None:
    """`pg_ctlcluster --skip-systemctl-redirect <version> main stop|start` (the machine notes)."""
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_cluster_version(), "main", action],
        check=True, capture_output=True, timeout=120,
    )


def pg_can_control() -> bool:
    return bool(glob.glob("/etc/postgresql/*/main")) and _which("pg_ctlcluster")


def wait_for_postgres(seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if pg_reachable()[0]:
            return True
        time.sleep(0.3)
    return False


def ensure_postgres_running() -> None:
    """Start PostgreSQL if it is down (idempotent), and wait until it accepts connections."""
    if pg_reachable()[0]:
        return
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", pg_cluster_version(), "main", "start"],
        capture_output=True, timeout=120,
    )
    if not wait_for_postgres(90):
        raise RuntimeError("PostgreSQL did not come back")


# --- Redis ---------------------------------------------------------------------------------------


def redis_reachable() -> tuple[bool, str]:
    try:
        with socket.create_connection((REDIS_HOST, REDIS_PORT), timeout=2) as sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
        return reply.startswith(b"+PONG"), reply.decode(errors="replace").strip()
    except OSError as error:
        return False, str(error)


def wait_for_redis(seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if redis_reachable()[0]:
            return True
        time.sleep(0.2)
    return False


def redis_stop() -> None:
    subprocess.run(["redis-cli", "-h", REDIS_HOST, "-p", str(REDIS_PORT), "shutdown", "nosave"],
                   capture_output=True, timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and redis_reachable()[0]:
        time.sleep(0.1)


def ensure_redis_running() -> None:
    """Start Redis with the machine's exact command if it is down, and wait for PONG."""
    if redis_reachable()[0]:
        return
    subprocess.run(REDIS_START, capture_output=True, timeout=30)
    if not wait_for_redis(30):
        raise RuntimeError("Redis did not come back")


def redis_can_control() -> bool:
    return _which("redis-server") and _which("redis-cli")


def _which(program: str) -> bool:
    from shutil import which

    return which(program) is not None


# --- the servers ---------------------------------------------------------------------------------


from tests.support.limits import TEST_LIMITS  # noqa: E402


def production_env(db_name: str, key_prefix: str, action_url: str) -> dict[str, str]:
    return {
        "POSTGRES_HOST": PG_HOST,
        "POSTGRES_PORT": str(PG_PORT),
        "POSTGRES_DB": db_name,
        "POSTGRES_USER": PG_USER,
        "POSTGRES_PASSWORD": "",
        "REDIS_HOST": REDIS_HOST,
        "REDIS_PORT": str(REDIS_PORT),
        "REDIS_KEY_PREFIX": key_prefix,
        "ACTION_SERVER_URL": action_url,
        "WEGWIJZER_DATABASE_URL": database_url(db_name),
        **TEST_LIMITS,
    }


@dataclass
class ActionServer:
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def _base_env(extra: dict[str, str]) -> dict[str, str]:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "RASA_TELEMETRY_ENABLED": "false", **extra}


def start_actions(tmp_dir: Path, env: dict[str, str], port: Optional[int] = None) -> ActionServer:
    """`wegwijzer actions --production --port P` in the background (it waits for /health itself)."""
    port = port or free_port()
    log_path = tmp_dir / f"actions-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "actions", "--production", "--port", str(port)],
        cwd=ROOT, env=_base_env(env), stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = ActionServer(port, process, log_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wegwijzer actions stopped:\n{server.log()}")
        if "Action server draait" in server.log():
            return server
        time.sleep(0.3)
    stop_actions(server)
    raise RuntimeError(f"wegwijzer actions did not start:\n{server.log()}")


def stop_actions(server: ActionServer, kill: bool = False) -> None:
    """Stop the action server and its rasa_sdk child (its own process group)."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)


def launch_production_bot(tmp_dir: Path, model: str, env: dict[str, str], port: Optional[int] = None,
                          workers: int = 1) -> ServedBot:
    """Start `wegwijzer serve --production` without waiting (see `wait_healthy`)."""
    port = port or free_port()
    log_path = tmp_dir / f"serve-prod-{port}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--production", "--port", str(port),
         "--model", model, "--workers", str(workers)],
        cwd=ROOT, env=_base_env(env), stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    return ServedBot(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path, action_port=0)


def wait_healthy(bot: ServedBot, timeout: float = 1200) -> ServedBot:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if bot.process.poll() is not None:
            raise RuntimeError(f"wegwijzer serve --production stopped:\n{bot.log()}")
        if bot.alive():
            return bot
        time.sleep(0.5)
    stop_production_bot(bot)
    raise RuntimeError(f"wegwijzer serve --production did not become healthy:\n{bot.log()}")


def stop_production_bot(bot: ServedBot, kill: bool = False) -> None:
    if bot.process.poll() is not None:
        return
    if kill:
        try:
            os.killpg(bot.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        bot.process.wait(timeout=10)
        return
    stop_bot(bot)


# --- what the model says ----------------------------------------------------------------------------


def model_domain(model_path: str) -> dict:
    """The domain a trained model was trained with (Rasa 3 keeps it in the archive's metadata.json)."""
    import json
    import tarfile

    with tarfile.open(model_path, "r:gz") as archive:
        for member in archive.getmembers():
            if member.name.lstrip("/").lstrip("./") == "metadata.json":
                return json.load(archive.extractfile(member))["domain"]
    raise RuntimeError(f"no metadata.json in {model_path}")


class Responses:
    """The response texts of a domain, by response name and audience variant."""

    def __init__(self, domain: dict) -> None:
        from bot.responses import variant_audience

        self.domain = domain
        self.by_name: dict[str, dict[str | None, list[str]]] = {}
        for name, variants in (domain.get("responses") or {}).items():
            for variant in variants:
                if variant.get("text"):
                    self.by_name.setdefault(name, {}).setdefault(variant_audience(variant), []).append(
                        variant["text"].strip())

    def texts(self, audience: str | None) -> set[str]:
        return {t for variants in self.by_name.values() for t in variants.get(audience, [])}

    def variants(self, name: str, audience: str | None) -> list[str]:
        return self.by_name.get(name, {}).get(audience, [])

    def names_of(self, text: str) -> set[str]:
        text = text.strip()
        return {name for name, variants in self.by_name.items()
                if any(text in texts for texts in variants.values())}

    def audience_of(self, text: str) -> set[str | None]:
        text = text.strip()
        return {audience for variants in self.by_name.values()
                for audience, texts in variants.items() if text in texts}


def stored_events(db_name: str, sender: str) -> list[dict]:
    """The events of one conversation as the tracker store holds them, in order."""
    import json

    connection = pg_connect(db_name)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT data FROM events WHERE sender_id = %s ORDER BY id", (sender,))
            return [json.loads(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()
