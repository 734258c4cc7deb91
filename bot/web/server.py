"""One origin for the demo: the municipal page with the chat widget and the Rasa REST channel.

`create_app` builds the Rasa server's Sanic app the way `rasa run` does (input channels from
credentials.yml, the agent loaded before the server starts), without Rasa's HTTP API, and adds:

- `/`                          the demo municipal page (bot/web/static/index.html)
- `/static/<file>`             the widget's script and stylesheet
- `/health`                    200 when the model is loaded, 503 before
- `/webhooks/rest/webhook`     the Rasa REST channel (contract 5 in DESIGN.md)

Requests are bounded: a body over 16 KiB is refused by Sanic before it is read, with a Dutch
JSON 413 (not Sanic's own page), and the chat's answers are never cached. A `/static` request
for a path outside its directory is refused and logged as one warning line, without a traceback.
"""
from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from sanic import Sanic, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request

from rasa.core import channels
from rasa.core.run import close_resources, create_http_input_channels, load_agent_on_start
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig
from rasa.server import configure_cors

from bot.web.channel import MAX_BODY_BYTES, NO_STORE, too_large

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)
CHAT_PATH_PREFIX = "/webhooks/"


class QuietStaticRefusals(logging.Filter):
    """Sanic logs a refused static path (e.g. ``/static/../x``) with a full traceback; one
    warning line is enough for what is only a refused request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if str(record.msg).startswith("File not found: path=") and record.exc_info:
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_static_refusals() -> None:
    error_logger = logging.getLogger("sanic.error")
    if not any(isinstance(f, QuietStaticRefusals) for f in error_logger.filters):
        error_logger.addFilter(QuietStaticRefusals())


def create_app(
    model_path: str,
    endpoints_file: str | None = "endpoints.yml",
    credentials_file: str | None = "credentials.yml",
    cors: str | Iterable[str] | None = None,
    action_url: str | None = None,
    action_token: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Sanic:
    endpoints = AvailableEndpoints.read_endpoints(endpoints_file)
    if action_url:
        # The action server refuses calls without the shared secret (bot/action_server.py).
        from bot.action_server import TOKEN_HEADER

        headers = {TOKEN_HEADER: action_token} if action_token else None
        endpoints.action = EndpointConfig(url=action_url, headers=headers)
    app = Sanic("wegwijzer", configure_logging=False)
    # Larger bodies are refused before they are read (Sanic's default is 100 MB).
    app.config.REQUEST_MAX_SIZE = MAX_BODY_BYTES
    configure_cors(app, cors)
    quiet_static_refusals()

    @app.exception(PayloadTooLarge)
    async def payload_too_large(_request: Request, _error: Exception) -> response.HTTPResponse:
        return too_large()

    channels.channel.register(
        create_http_input_channels(None, credentials_file), app, route="/webhooks/"
    )
    app.ctx.agent = None

    @app.get("/")
    async def index(_: Request) -> response.HTTPResponse:
        return await response.file(STATIC_DIR / "index.html", mime_type="text/html; charset=utf-8")

    app.static("/static", str(STATIC_DIR), name="static")

    @app.get("/health")
    async def health(request: Request) -> response.HTTPResponse:
        agent = request.app.ctx.agent
        ready = bool(agent and agent.is_ready())
        return response.json({"status": "ok" if ready else "loading"}, status=200 if ready else 503)

    @app.middleware("response")
    async def security_headers(request: Request, resp: response.HTTPResponse) -> None:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        if request.path.startswith(CHAT_PATH_PREFIX):
            for name, value in NO_STORE.items():
                resp.headers[name] = value
        if request.path == "/" or request.path.startswith("/static"):
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "connect-src 'self'; frame-ancestors 'self'",
            )

    app.register_listener(
        partial(load_agent_on_start, model_path, endpoints, None), "before_server_start"
    )
    app.register_listener(close_resources, "after_server_stop")
    if on_ready is not None:
        app.register_listener(lambda _app, _loop: on_ready(), "after_server_start")
    return app
