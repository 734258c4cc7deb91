"""Start the real Wegwijzer servers for tests: `wegwijzer serve` as a subprocess on free ports."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def latest_model() -> str | None:
    models = sorted((ROOT / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return str(models[-1]) if models else None


def ensure_model() -> str:
    """The trained model. `make test` trains before pytest runs (training is never started here:
    it takes minutes and two trainings at once starve a 2-core machine)."""
    model = latest_model()
    if model is None:
        raise RuntimeError("No trained model in models/: run `make train` (or `make test`) first.")
    return model


@dataclass
class ServedBot:
    url: str
    process: subprocess.Popen
    log_path: Path
    action_port: int
    counter: int = field(default=0)
    #: The case database its action server uses (WEGWIJZER_DATABASE_URL), when one was given.
    database_url: str | None = None

    def post(self, message: str | None, sender: str, raw: bytes | None = None, timeout: float = 60):
        """POST to the REST channel; returns (status, parsed JSON or raw text)."""
        body = raw if raw is not None else json.dumps({"sender": sender, "message": message}).encode()
        request = urllib.request.Request(
            f"{self.url}/webhooks/rest/webhook", data=body,
            headers={"Content-Type": "application/json"}, method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as reply:
                text = reply.read().decode()
                return reply.status, json.loads(text) if text else None
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def say(self, message: str, sender: str) -> list[dict]:
        status, reply = self.post(message, sender)
        assert status == 200, f"HTTP {status}: {reply}"
        return reply

    def alive(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=5) as reply:
                return reply.status == 200
        except OSError:
            return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def prepare_case_database(tmp_dir: Path) -> str:
    """A new SQLite case database in ``tmp_dir`` with the demo cases (`python -m bot.cases demo`)."""
    url = f"sqlite:///{tmp_dir / 'cases.db'}"
    subprocess.run(
        [sys.executable, "-m", "bot.cases", "demo"], cwd=ROOT, check=True, capture_output=True,
        env={**os.environ, "WEGWIJZER_DATABASE_URL": url},
    )
    return url


# A municipal website on another domain that embeds the widget (`wegwijzer serve --cors`).
EMBEDDING_ORIGIN = "https://www.gemeente-voorbeeld.example"


def start_bot(tmp_dir: Path, model: str, extra_env: dict | None = None, timeout: float = 600,
              endpoints: str | None = None, extra_args: list[str] | None = None) -> ServedBot:
    """`wegwijzer serve` on free ports; ``endpoints`` replaces endpoints.yml (e.g. another
    tracker store), ``extra_env`` is added to the environment of both servers, ``extra_args``
    to the command."""
    port, action_port = free_port(), free_port()
    log_path = tmp_dir / f"serve-{port}.log"
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **(extra_env or {})}
    command = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
               "--action-port", str(action_port), "--model", model]
    if endpoints:
        command += ["--endpoints", str(endpoints)]
    command += extra_args or []
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stop_bot also ends the action server
    )
    bot = ServedBot(url=f"http://127.0.0.1:{port}", process=process, log_path=log_path,
                    action_port=action_port, database_url=env.get("WEGWIJZER_DATABASE_URL"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"wegwijzer serve stopped:\n{bot.log()}")
        if bot.alive():
            return bot
        time.sleep(0.5)
    stop_bot(bot)
    raise RuntimeError(f"wegwijzer serve did not become healthy:\n{bot.log()}")


def stop_bot(bot: ServedBot) -> None:
    """Stop `wegwijzer serve` and everything it started (the action server), even mid-start."""
    import signal

    try:
        group = os.getpgid(bot.process.pid)
    except ProcessLookupError:
        return
    os.killpg(group, signal.SIGTERM)
    try:
        bot.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(group, signal.SIGKILL)
    except ProcessLookupError:
        pass


def texts(messages: list[dict]) -> str:
    """All bot texts of one reply, joined, for assertions on what the user reads."""
    return "\n".join(m.get("text") or "" for m in messages)


def button_payloads(messages: list[dict]) -> list[str]:
    return [b["payload"] for m in messages for b in (m.get("buttons") or [])]


def raw_post(url: str, path: str, body: bytes, headers: dict[str, str] | None = None,
             timeout: float = 60) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` over a plain socket; returns (status, headers in lower case, body).

    Unlike urllib this still reads the answer when the server refuses a large body before
    reading it (the server may close the connection while the client is still sending).
    """
    import socket as _socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    head = [f"POST {path} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}",
            f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
    with _socket.create_connection((parts.hostname, parts.port), timeout=timeout) as sock:
        try:
            sock.sendall(request)
        except OSError:  # refused mid-body: the answer is already on its way
            pass
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    header_blob, _, payload = received.partition(b"\r\n\r\n")
    lines = header_blob.decode("latin-1").split("\r\n")
    if not lines or len(lines[0].split()) < 2:
        raise ConnectionError(f"no HTTP answer from {url}{path}: {received[:200]!r}")
    status = int(lines[0].split()[1])
    answer_headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        answer_headers[name.strip().lower()] = value.strip()
    if answer_headers.get("transfer-encoding", "").lower() == "chunked":
        payload = _unchunk(payload)
    elif "content-length" in answer_headers:
        payload = payload[: int(answer_headers["content-length"])]
    return status, answer_headers, payload


def _unchunk(data: bytes) -> bytes:
    result = b""
    while data:
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        result, data = result + data[:size], data[size + 2:]
    return result
