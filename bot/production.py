"""Production commands: `wegwijzer serve --production`, `wegwijzer actions`, `wegwijzer api`.

Contract 6 in DESIGN.md: `endpoints.prod.yml` keeps conversations in PostgreSQL and locks in Redis,
with its settings from the environment, so any number of Rasa servers and action servers serve the
same conversations. In production each process does one job:

- `wegwijzer serve --production [--port 5005] [--workers N]`: the chat only (the REST channel,
  the page and /health) with endpoints.prod.yml. It starts no action server (ACTION_SERVER_URL
  names one) and refuses to start, with a Dutch message, when a required variable is missing.
  `--workers N` (or SANIC_WORKERS, as `rasa run` reads it) runs N Sanic worker processes; Rasa
  allows more than one only with the Redis lock store, which endpoints.prod.yml has.
- `wegwijzer actions [--port 5055] [--host 127.0.0.1] [--production]`: an action server, started
  the way `wegwijzer serve` starts its own (`bot.cli.start_action_server`), in the foreground.
  With `--production` it refuses to start without WEGWIJZER_DATABASE_URL (no silent SQLite file).
- `wegwijzer api [--port 5006] --auth-token ... | --jwt-secret ...`: Rasa's HTTP API, for operators
  only. It is never served next to the chat: it is a separate process, bound to 127.0.0.1 unless
  `--host` says otherwise, and it does not start without a token (RASA_AUTH_TOKEN) or a JWT
  secret (RASA_JWT_SECRET). It uses the same endpoints, so it sees the same conversations.

Two things Rasa does quietly that production must not do, and which `serve --production` (and
`api`) switch off:

1. a tracker store `type:` that does not import is replaced by the in-memory store with only a
   warning, so every server would keep its own conversations: we import it first and stop;
2. `Agent` wraps the tracker store in `FailSafeTrackerStore`, which on a database error answers
   from an empty in-memory tracker. The user would get an answer out of context (a form forgotten,
   the audience reset) and the conversation would fork. We make that wrapper re-raise instead,
   so the chat channel (bot/web/channel.py) gives its Dutch "even niet beschikbaar" answer and
   nothing of the failed turn is stored; the next turn after the database is back goes on from
   the stored state.

`register(subparsers)` is called by `bot.cli._extra_commands()`; it adds `actions`, `api` and
`purge` (bot/retention.py) and the `--production`/`--workers` options of the existing `serve`.
"""
from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import subprocess
import sys
from typing import Any, Mapping, Optional

logger = logging.getLogger(__name__)

PROD_ENDPOINTS = "endpoints.prod.yml"
DEFAULT_API_PORT = 5006

#: The variables endpoints.prod.yml needs (contract 6), with what each is for, in Dutch.
REQUIRED_ENV: dict[str, str] = {
    "POSTGRES_HOST": "host van PostgreSQL (gesprekken)",
    "POSTGRES_PORT": "poort van PostgreSQL, meestal 5432",
    "POSTGRES_DB": "naam van de database voor de gesprekken",
    "POSTGRES_USER": "gebruiker van die database",
    "POSTGRES_PASSWORD": "wachtwoord van die gebruiker (mag leeg zijn)",
    "REDIS_HOST": "host van Redis (vergrendeling van gesprekken)",
    "REDIS_PORT": "poort van Redis, meestal 6379",
    "ACTION_SERVER_URL": "adres van de action server, bijvoorbeeld http://acties:5055/webhook",
    "WEGWIJZER_ACTION_TOKEN": "geheim dat de Rasa-server meestuurt naar de action server "
                              "(minstens 32 tekens; hetzelfde voor beide)",
}
#: Variables that may be empty (all others must have a value).
MAY_BE_EMPTY = {"POSTGRES_PASSWORD"}
#: Optional variables used in endpoints.prod.yml, and the value `wegwijzer` fills in when unset.
OPTIONAL_ENV_DEFAULTS: dict[str, str] = {
    "REDIS_DB": "1",
    "REDIS_PASSWORD": "",
    "REDIS_KEY_PREFIX": "wegwijzer",
    "POSTGRES_SSLMODE": "prefer",
}
CASES_ENV = "WEGWIJZER_DATABASE_URL"
#: The operator API's token or JWT secret gives access to every conversation: at least this long.
MIN_API_SECRET_LENGTH = 32
SSLMODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}


class ProductionConfigError(SystemExit):
    """A production setting is missing or wrong; the message is Dutch and says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- checks ----------------------------------------------------------------------------------


def environment_problems(env: Mapping[str, str]) -> list[str]:
    """Dutch descriptions of what is missing or wrong in `env` for endpoints.prod.yml."""
    problems = []
    for name, purpose in REQUIRED_ENV.items():
        value = env.get(name)
        if value is None or (not value.strip() and name not in MAY_BE_EMPTY):
            problems.append(f"{name} ontbreekt: {purpose}")
    for name in ("POSTGRES_PORT", "REDIS_PORT", "REDIS_DB"):
        value = (env.get(name) or "").strip()
        if value and not value.isdigit():
            problems.append(f"{name} moet een getal zijn, niet '{value}'")
    url = (env.get("ACTION_SERVER_URL") or "").strip()
    if url and not re.match(r"^https?://[^/\s]+", url):
        problems.append(f"ACTION_SERVER_URL moet beginnen met http:// of https://, niet '{url}'")
    from bot.action_server import MIN_TOKEN_LENGTH, TOKEN_ENV

    token = (env.get(TOKEN_ENV) or "").strip()
    if token and len(token) < MIN_TOKEN_LENGTH:
        problems.append(f"{TOKEN_ENV} is te kort: gebruik minstens {MIN_TOKEN_LENGTH} tekens")
    if (env.get("LOG_LEVEL") or "").strip().upper() == "DEBUG":
        problems.append("LOG_LEVEL=DEBUG mag niet in productie: Rasa schrijft dan elk bericht "
                        "van een gebruiker in het log")
    prefix = env.get("REDIS_KEY_PREFIX")
    if prefix and not prefix.isalnum():
        problems.append("REDIS_KEY_PREFIX mag alleen letters en cijfers bevatten")
    sslmode = env.get("POSTGRES_SSLMODE")
    if sslmode and sslmode not in SSLMODES:
        problems.append(f"POSTGRES_SSLMODE moet een van {', '.join(sorted(SSLMODES))} zijn")
    return problems


def check_environment(env: Optional[dict[str, str]] = None) -> None:
    """Fill in the optional defaults, then stop with a Dutch message if anything is missing."""
    env = os.environ if env is None else env
    problems = environment_problems({**OPTIONAL_ENV_DEFAULTS, **env})
    if problems:
        raise ProductionConfigError(
            "Wegwijzer start niet in productie, want de instellingen zijn niet compleet:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
            + "\nZet deze omgevingsvariabelen en start opnieuw (zie docs/deploy.md)."
        )
    for name, default in OPTIONAL_ENV_DEFAULTS.items():
        env.setdefault(name, default)


def check_tracker_store_class(endpoints: Any) -> None:
    """Stop if the tracker store's `type:` is a class path that does not import.

    Rasa would silently fall back to its in-memory store, and then each server would hold its
    own copy of every conversation.
    """
    config = getattr(endpoints, "tracker_store", None)
    kind = getattr(config, "type", None)
    if not kind or "." not in kind:
        return
    from rasa.shared.utils.common import class_from_module_path

    try:
        class_from_module_path(kind)
    except (ImportError, AttributeError) as error:
        raise ProductionConfigError(
            f"Wegwijzer start niet in productie: de opslag voor gesprekken ({kind}) is niet te "
            f"laden ({type(error).__name__}: {error}). Zonder die opslag zou elke server zijn "
            "eigen gesprekken bijhouden."
        ) from error


def read_production_endpoints(path: str = PROD_ENDPOINTS) -> Any:
    """Check the environment and read the endpoints file; Dutch messages on every failure."""
    check_environment()
    if not os.path.isfile(path):
        raise ProductionConfigError(f"Het bestand {path} bestaat niet. Start vanuit de map van Wegwijzer.")
    from rasa.core.utils import AvailableEndpoints

    try:
        endpoints = AvailableEndpoints.read_endpoints(path)
    except Exception as error:  # e.g. a ${VARIABLE} used in the file but not set
        raise ProductionConfigError(f"{path} is niet te lezen: {error}") from error
    if endpoints.tracker_store is None or endpoints.lock_store is None or endpoints.action is None:
        raise ProductionConfigError(
            f"{path} moet tracker_store, lock_store en action_endpoint bevatten."
        )
    check_tracker_store_class(endpoints)
    return endpoints


# --- the tracker store must fail loudly ---------------------------------------------------------


def _reraise(error: Exception) -> None:
    raise error


def make_tracker_store_strict(agent: Any) -> None:
    """Make Rasa's `FailSafeTrackerStore` wrapper re-raise instead of using an empty tracker.

    `FailSafeTrackerStore(store, on_tracker_store_error=...)` is Rasa's own hook for this: the
    callback runs instead of the logging, and the in-memory fallback is only reached when it
    returns. Raising from it lets the channel answer "even niet beschikbaar".
    """
    from rasa.core.tracker_store import FailSafeTrackerStore

    store = getattr(agent, "tracker_store", None)
    if isinstance(store, FailSafeTrackerStore):
        store._on_tracker_store_error = _reraise
    processor = getattr(agent, "processor", None)
    if processor is not None and isinstance(getattr(processor, "tracker_store", None), FailSafeTrackerStore):
        processor.tracker_store._on_tracker_store_error = _reraise


async def _strict_after_load(app: Any, _loop: Any) -> None:
    agent = app.ctx.agent
    make_tracker_store_strict(agent)
    inner = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)
    inner = getattr(inner, "_tracker_store", inner)  # AwaitableTrackerStore wraps sync stores
    logger.info("Tracker store: %s", type(inner).__name__)


# --- serve --production ------------------------------------------------------------------------


def sanic_workers(requested: Optional[int], lock_store: Any) -> int:
    """Worker processes: `--workers`, else SANIC_WORKERS; more than 1 only with a shared lock store."""
    if requested is not None:
        os.environ["SANIC_WORKERS"] = str(requested)
    from rasa.core.utils import number_of_sanic_workers

    return number_of_sanic_workers(lock_store)


def apply_tensorflow_settings() -> None:
    """Apply TF_INTRA_OP_/TF_INTER_OP_PARALLELISM_THREADS the way the `rasa` command does.

    Rasa reads these variables only in its own CLI entry point (`rasa.__main__`); a server built
    in Python, like ours, must call this before the model loads or the variables do nothing.
    """
    from rasa.utils.tensorflow.environment import setup_tf_environment

    setup_tf_environment()


def _model_file(model: Optional[str]) -> str:
    """The model to load; stop now if there is none (Rasa would serve without a model, 503 forever)."""
    if not model:
        raise SystemExit("Er is nog geen getraind model. Zet een model in models/ of geef --model.")
    if not os.path.isfile(model):
        raise SystemExit(f"Het model {model} bestaat niet (meer). Geef een bestaand model met --model.")
    return model


def cmd_serve_production(args: argparse.Namespace) -> None:
    from bot.cli import _quiet_tensorflow, configure_logging, latest_model

    _quiet_tensorflow()
    endpoints_file = args.endpoints if args.endpoints not in (None, "endpoints.yml") else PROD_ENDPOINTS
    endpoints = read_production_endpoints(endpoints_file)
    model = _model_file(args.model or latest_model())
    apply_tensorflow_settings()

    from bot.web.server import create_app

    configure_logging(args.verbose)
    workers = sanic_workers(args.workers, endpoints.lock_store)
    address = f"http://{'localhost' if args.host in ('0.0.0.0', '127.0.0.1') else args.host}:{args.port}"

    def ready() -> None:
        print(f"Wegwijzer (productie) draait op {address}  (chat: {address}/webhooks/rest/webhook)",
              flush=True)

    app = create_app(
        model,
        endpoints_file=endpoints_file,
        credentials_file=args.credentials,
        action_url=None,  # ACTION_SERVER_URL from endpoints.prod.yml
        cors=args.cors or None,
        on_ready=ready,
    )
    app.register_listener(_strict_after_load, "before_server_start")  # runs after the agent loads
    app.run(host=args.host, port=args.port, workers=workers, access_log=False, motd=False)


def extend_serve(serve: argparse.ArgumentParser) -> None:
    """Add `--production` and `--workers` to the `serve` command of bot/cli.py."""
    serve.add_argument(
        "--production", action="store_true",
        help="productie: endpoints.prod.yml (PostgreSQL en Redis), alleen de chat, geen eigen action server",
    )
    serve.add_argument(
        "--workers", type=int, default=None,
        help="aantal Sanic-werkprocessen (alleen met --production; standaard SANIC_WORKERS of 1)",
    )
    demo = serve.get_default("func")

    def serve_either(args: argparse.Namespace) -> None:
        if args.production:
            cmd_serve_production(args)
        elif args.workers not in (None, 1):
            raise SystemExit("--workers werkt alleen met --production (de demo heeft geen gedeelde vergrendeling).")
        else:
            demo(args)

    serve.set_defaults(func=serve_either)


# --- actions -----------------------------------------------------------------------------------


def cmd_actions(args: argparse.Namespace) -> None:
    from bot.cli import _quiet_tensorflow, start_action_server

    from bot.action_server import configured_token, token_problem

    _quiet_tensorflow()
    problem = token_problem(configured_token())
    if problem:
        raise ProductionConfigError(f"De action server start niet: {problem}")
    if args.production and not os.environ.get(CASES_ENV, "").strip():
        raise ProductionConfigError(
            f"De action server start niet in productie: {CASES_ENV} ontbreekt (de database met "
            "zaken, bijvoorbeeld postgresql+psycopg2://gebruiker:wachtwoord@host:5432/zaken)."
        )
    if args.host not in ("127.0.0.1", "0.0.0.0"):
        raise SystemExit("--host kan 127.0.0.1 (alleen deze machine) of 0.0.0.0 (alle adressen) zijn.")
    process = start_action_server(args.port, host=args.host)
    print(f"Action server draait op http://{args.host}:{args.port}/webhook", flush=True)
    _wait_forwarding_signals(process)


def _wait_forwarding_signals(process: subprocess.Popen) -> None:
    """Run until the child ends; SIGTERM/SIGINT go to the child (a container stops it this way)."""

    def forward(signum: int, _frame: Any) -> None:
        if process.poll() is None:
            process.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    code = process.wait()
    raise SystemExit(code if code >= 0 else 0)


# --- api ---------------------------------------------------------------------------------------


def cmd_api(args: argparse.Namespace) -> None:
    from bot.cli import _quiet_tensorflow, configure_logging, latest_model

    _quiet_tensorflow()
    token = args.auth_token or os.environ.get("RASA_AUTH_TOKEN") or None
    jwt_secret = args.jwt_secret or os.environ.get("RASA_JWT_SECRET") or None
    if not token and not jwt_secret:
        raise ProductionConfigError(
            "De Rasa-API start alleen met een toegangssleutel: geef --auth-token (of zet "
            "RASA_AUTH_TOKEN) of --jwt-secret (of RASA_JWT_SECRET)."
        )
    # Whoever holds the token can read every conversation: a long random secret, never a word.
    if token and len(token) < MIN_API_SECRET_LENGTH:
        raise ProductionConfigError(
            f"Het --auth-token is te kort: gebruik minstens {MIN_API_SECRET_LENGTH} tekens.")
    if jwt_secret and len(jwt_secret) < MIN_API_SECRET_LENGTH:
        raise ProductionConfigError(
            f"Het --jwt-secret is te kort: gebruik minstens {MIN_API_SECRET_LENGTH} tekens.")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Let op: de Rasa-API luistert op {args.host}, niet alleen op deze machine.", file=sys.stderr)
    endpoints_file = args.endpoints
    if endpoints_file == PROD_ENDPOINTS:
        endpoints = read_production_endpoints(endpoints_file)
    else:
        from rasa.core.utils import AvailableEndpoints

        endpoints = AvailableEndpoints.read_endpoints(endpoints_file)
    model = _model_file(args.model or latest_model())
    apply_tensorflow_settings()

    from functools import partial

    import rasa.server
    from rasa.core.run import close_resources, load_agent_on_start
    configure_logging(args.verbose)
    app = rasa.server.create_app(
        cors_origins=None,
        auth_token=token,
        jwt_secret=jwt_secret,
        jwt_method=args.jwt_method,
        endpoints=endpoints,
    )
    app.register_listener(partial(load_agent_on_start, model, endpoints, None), "before_server_start")
    app.register_listener(_strict_after_load, "before_server_start")
    app.register_listener(close_resources, "after_server_stop")
    app.register_listener(
        lambda _app, _loop: print(f"Rasa-API (met sleutel) op http://{args.host}:{args.port}", flush=True),
        "after_server_start",
    )
    app.run(host=args.host, port=args.port, workers=1, access_log=False, motd=False)


# --- registration ------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add `actions`, `api` and `purge`, and extend `serve` with `--production`."""
    serve = subparsers.choices.get("serve")
    if serve is not None:
        extend_serve(serve)

    actions = subparsers.add_parser("actions", help="start alleen een action server")
    actions.add_argument("--port", type=int, default=5055)
    actions.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (standaard) of 0.0.0.0")
    actions.add_argument("--production", action="store_true",
                         help=f"weiger te starten zonder {CASES_ENV}")
    actions.set_defaults(func=cmd_actions)

    api = subparsers.add_parser(
        "api", help="start de Rasa-API voor beheerders (los van de chat, alleen met sleutel)"
    )
    api.add_argument("--port", type=int, default=DEFAULT_API_PORT)
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--auth-token", default=None, help="sleutel (beter: RASA_AUTH_TOKEN)")
    api.add_argument("--jwt-secret", default=None, help="JWT-geheim (beter: RASA_JWT_SECRET)")
    api.add_argument("--jwt-method", default="HS256")
    api.add_argument("--model", default=None)
    api.add_argument("--endpoints", default=PROD_ENDPOINTS)
    api.add_argument("--verbose", action="store_true")
    api.set_defaults(func=cmd_api)

    from bot.retention import register as register_purge

    register_purge(subparsers)

