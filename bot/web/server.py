"""One origin for the demo: the municipal page with the chat widget and the Rasa REST channel.

`create_app` builds the Rasa server's Sanic app the way `rasa run` does (input channels from
credentials.yml, the agent loaded before the server starts), without Rasa's HTTP API, and adds:

- `/`                          the demo municipal page (bot/web/static/index.html)
- `/static/<file>`             the widget's script and stylesheet
- `/health`                    200 when the model is loaded, 503 before
- `/webhooks/rest/webhook`     the Rasa REST channel (contract 5 in DESIGN.md)
"""
from __future__ import annotations

import logging
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from sanic import Sanic, response
from sanic.request import Request

from rasa.core import channels
from rasa.core.run import close_resources, create_http_input_channels, load_agent_on_start
from rasa.core.utils import AvailableEndpoints
from rasa.utils.endpoints import EndpointConfig
from rasa.server import configure_cors

STATIC_DIR = Path(__file__).resolve().parent / "static"
logger = logging.getLogger(__name__)


def create_app(
    model_path: str,
    endpoints_file: str | None = "endpoints.yml",
    credentials_file: str | None = "credentials.yml",
    cors: str | Iterable[str] | None = None,
    action_url: str | None = None,
    on_ready: Callable[[], None] | None = None,
) -> Sanic:
    endpoints = AvailableEndpoints.read_endpoints(endpoints_file)
    if action_url:
        endpoints.action = EndpointConfig(url=action_url)
    app = Sanic("wegwijzer", configure_logging=False)
    configure_cors(app, cors)
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
        if request.path == "/" or request.path.startswith("/static"):
            resp.headers.setdefault(
                "Content-Security-Policy",
                "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                "connect-src *; frame-ancestors 'self'",
            )

    app.register_listener(
        partial(load_agent_on_start, model_path, endpoints, None), "before_server_start"
    )
    app.register_listener(close_resources, "after_server_stop")
    if on_ready is not None:
        app.register_listener(lambda _app, _loop: on_ready(), "after_server_start")
    return app
