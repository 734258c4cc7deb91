"""The `wegwijzer` command: serve, train, evaluate and maintain the assistant.

Run from the repository root (where domain.yml, config.yml and data/ are).
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

DEFAULT_PORT = 5005
DEFAULT_ACTION_PORT = 5055


def _quiet_tensorflow() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")


def configure_logging(verbose: bool = False) -> None:
    """Rasa's standard logging and its structlog at WARNING (INFO with ``--verbose``).

    Without ``configure_structlog`` (which only the ``rasa`` command calls) structlog prints every
    debug event, and Rasa's debug events carry what the user typed ("parse_data_text"): a birth
    date would end up in the server log.
    """
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    level = logging.INFO if verbose else logging.WARNING
    configure_logging_and_warnings(level)
    configure_structlog(level)


def latest_model(models_dir: str = "models") -> str | None:
    models = sorted(Path(models_dir).glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return str(models[-1]) if models else None


# --- train -----------------------------------------------------------------------------------


def train(force: bool = False, output: str = "models") -> str:
    """Train the assistant; Rasa's fingerprinting skips it when data, domain and config are unchanged."""
    _quiet_tensorflow()
    from bot.nlp.build_spacy import build
    from rasa.api import train as rasa_train

    build()
    result = rasa_train(
        domain="domain.yml",
        config="config.yml",
        training_files=["data"],
        output=output,
        force_training=force,
    )
    if result.code != 0 or not result.model:
        raise SystemExit("Trainen is mislukt; zie de meldingen hierboven.")
    return result.model


def cmd_train(args: argparse.Namespace) -> None:
    print(f"Model: {train(force=args.force)}")


# --- serve -----------------------------------------------------------------------------------


def _wait_for(url: str, seconds: float, process: subprocess.Popen | None = None) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


def start_action_server(port: int, host: str = "127.0.0.1", quiet: bool = False) -> subprocess.Popen:
    """Start rasa-sdk's action server with our actions, bound to ``host`` (loopback by default).

    rasa-sdk binds every interface unless SANIC_HOST says otherwise; the shared secret
    (``WEGWIJZER_ACTION_TOKEN``) must already be in the environment (bot/action_server.py).
    """
    command = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    if quiet:  # `wegwijzer serve` prints one address, the page's; not the action server's
        command.append("--quiet")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "SANIC_HOST": host}
    process = subprocess.Popen(command, env=env)
    if not _wait_for(f"http://127.0.0.1:{port}/health", 60, process):
        process.terminate()
        raise SystemExit(f"De action server op poort {port} start niet.")
    return process


def cmd_serve(args: argparse.Namespace) -> None:
    _quiet_tensorflow()
    model = args.model or latest_model()
    if not model:
        raise SystemExit("Er is nog geen getraind model. Draai eerst: wegwijzer train")

    from rasa.core.utils import AvailableEndpoints  # noqa: F401  (import TF etc. before forking)
    from bot.web.server import create_app

    from bot.action_server import TOKEN_ENV, configured_token, new_token, token_problem

    configure_logging(args.verbose)
    # One shared secret between this Rasa server and its action server: the configured one, or a
    # new one for this run (nobody else needs to know it).
    token = configured_token()
    if token is None and not args.no_actions:
        token = os.environ[TOKEN_ENV] = new_token()
    problem = token_problem(token)
    if problem:
        raise SystemExit(f"Wegwijzer start niet: {problem}")
    action_server = (None if args.no_actions
                     else start_action_server(args.action_port, quiet=not args.verbose))
    address = f"http://{'localhost' if args.host in ('0.0.0.0', '127.0.0.1') else args.host}:{args.port}"

    def ready() -> None:
        print(f"Wegwijzer draait op {address}", flush=True)

    app = create_app(
        model,
        endpoints_file=args.endpoints,
        credentials_file=args.credentials,
        action_url=None if args.no_actions else f"http://127.0.0.1:{args.action_port}/webhook",
        action_token=token,
        cors=args.cors or None,
        on_ready=ready,
    )
    try:
        app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)
    finally:
        if action_server is not None:
            action_server.send_signal(signal.SIGTERM)
            try:
                action_server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                action_server.kill()


# --- lint-responses --------------------------------------------------------------------------


def cmd_lint_responses(args: argparse.Namespace) -> None:
    from bot import plain_language

    argv = ["--root", args.root] + (["--fail"] if args.fail else [])
    raise SystemExit(plain_language.main(argv))


# --- main ------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wegwijzer", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="start de action server, de Rasa-server en de demopagina")
    serve.add_argument("--port", type=int, default=DEFAULT_PORT)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--action-port", type=int, default=DEFAULT_ACTION_PORT)
    serve.add_argument("--model", default=None, help="modelbestand (standaard: het nieuwste in models/)")
    serve.add_argument("--endpoints", default="endpoints.yml")
    serve.add_argument("--credentials", default="credentials.yml")
    serve.add_argument("--no-actions", action="store_true", help="geen eigen action server starten")
    serve.add_argument("--cors", action="append", default=[], metavar="ORIGIN",
                       help="een website op een ander domein die de chat mag gebruiken, bijvoorbeeld "
                            "https://www.gemeente.nl (mag vaker; standaard alleen dezelfde origin)")
    serve.add_argument("--verbose", action="store_true")
    serve.set_defaults(func=cmd_serve)

    train_parser = sub.add_parser("train", help="train het model (alleen als data of config veranderd is)")
    train_parser.add_argument("--force", action="store_true")
    train_parser.set_defaults(func=cmd_train)

    lint = sub.add_parser("lint-responses", help="toets alle antwoorden aan de taalnormen")
    lint.add_argument("--root", default=".")
    lint.add_argument("--fail", action="store_true", help="exitcode 1 als een antwoord niet voldoet")
    lint.set_defaults(func=cmd_lint_responses)

    for register in _extra_commands():
        register(sub)
    return parser


def _extra_commands():
    """Subcommands that live next to the code they drive."""
    from bot.evaluation import register as evaluation

    registers = [evaluation]
    try:
        from bot.cases.cli import register as cases
    except ImportError:  # the case store is optional until it is installed
        pass
    else:
        registers.append(cases)
    registers.append(__import__("bot.production", fromlist=["register"]).register)  # serve --production, actions, api, purge
    registers.append(__import__("bot.report", fromlist=["register"]).register)  # report: asked, fell back, rated per topic
    return registers


def main(argv: list[str] | None = None) -> None:
    _quiet_tensorflow()
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
