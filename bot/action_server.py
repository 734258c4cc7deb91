"""The action server's front door: a shared secret, bounded requests, errors that echo nothing.

rasa-sdk's action server (``python -m rasa_sdk``, ``rasa run actions``) has no authentication: any
caller that reaches its port can run any action with a tracker it makes up. This module closes
that door. :func:`secure_action_server` is attached to every rasa-sdk app through rasa-sdk's own
plugin hook (``attach_sanic_app_extensions``; the package ``rasa_sdk_plugins`` at the repository
root registers it), so ``wegwijzer serve``, ``wegwijzer actions`` and a plain ``rasa run actions``
all get it:

- every request except ``GET /health`` must carry the header :data:`TOKEN_HEADER` with the secret
  from the environment variable :data:`TOKEN_ENV`; the Rasa server sends it (the
  ``action_endpoint`` ``headers`` in ``endpoints*.yml``; ``wegwijzer serve`` makes a new secret
  for each run when none is set). Without the variable the server answers every call with 503
  and says so in its log: it never runs open;
- the body is at most :data:`MAX_REQUEST_BYTES`, and compressed bodies are refused (rasa-sdk
  would inflate them without a size limit). Rasa sends plain JSON unless
  ``COMPRESS_ACTION_SERVER_REQUEST`` is set, which this deployment never does;
- a broken municipality file (config/municipalities/) stops the start with its name;
- an action that raises gets a 500 whose body and log line name only the type of the error:
  rasa-sdk's own handler echoes the whole request body (the tracker, with the user's message of
  that turn), which Rasa then writes into its error log.

The proof that a case lookup succeeded is not a slot either: ``action_show_case_status`` asks the
case store for the single-use verification that the lookup recorded (``docs/case_lookup.md``).
"""
from __future__ import annotations

import hmac
import logging
import os
import secrets
from typing import Any, Optional

logger = logging.getLogger(__name__)

#: The environment variable with the shared secret (the same value for Rasa and the action server).
TOKEN_ENV = "WEGWIJZER_ACTION_TOKEN"
#: The header that carries it on every call from Rasa to the action server.
TOKEN_HEADER = "X-Wegwijzer-Action-Token"
#: A secret shorter than this is refused (32 characters of ``secrets.token_urlsafe`` = 192 bits).
MIN_TOKEN_LENGTH = 32
#: The largest request body the action server reads. A tracker of a long conversation (the chat
#: caps a conversation's events, see bot/tracker_store.py) stays far below it.
MAX_REQUEST_BYTES = 2 * 1024 * 1024
#: Paths that need no secret (the probe of the container platform).
OPEN_PATHS = frozenset({"/health"})


def new_token() -> str:
    """A fresh random secret (``wegwijzer serve`` makes one per run when none is configured)."""
    return secrets.token_urlsafe(MIN_TOKEN_LENGTH)


def configured_token(env: Optional[dict[str, str]] = None) -> Optional[str]:
    """The shared secret from the environment, or None when it is unset or empty."""
    value = (os.environ if env is None else env).get(TOKEN_ENV, "").strip()
    return value or None


def token_problem(token: Optional[str]) -> Optional[str]:
    """A Dutch description of what is wrong with ``token``, or None when it can be used."""
    if not token:
        return f"{TOKEN_ENV} ontbreekt: het geheim dat de Rasa-server meestuurt naar de action server."
    if len(token) < MIN_TOKEN_LENGTH:
        return f"{TOKEN_ENV} is te kort: gebruik minstens {MIN_TOKEN_LENGTH} tekens."
    return None


def token_matches(given: Optional[str], expected: str) -> bool:
    """Constant-time comparison of the header value with the secret."""
    return hmac.compare_digest((given or "").encode("utf-8"), expected.encode("utf-8"))


def check_municipalities() -> None:
    """Refuse to start when a municipality file is broken.

    Otherwise every answer that needs the municipality (every case status) would fail while the
    server looks healthy; now the operator sees the file name at once.
    """
    from bot import municipalities

    try:
        municipalities.load_all()
    except municipalities.MunicipalityConfigError as error:
        raise SystemExit(
            f"De action server start niet: het gemeentebestand {error} is niet te lezen "
            f"(map {municipalities.municipalities_dir()})."
        ) from error


def secure_action_server(app: Any) -> None:
    """Attach the secret check, the size limit and the quiet error handler to a rasa-sdk app."""
    from sanic import response
    from sanic.exceptions import SanicException

    check_municipalities()
    token = configured_token()
    problem = token_problem(token)
    if problem:
        logger.error("The action server refuses every call: %s", problem)
    app.config.REQUEST_MAX_SIZE = MAX_REQUEST_BYTES

    @app.middleware("request")
    async def require_token(request: Any) -> Any:
        if request.path in OPEN_PATHS and request.method in ("GET", "HEAD"):
            return None
        encoding = (request.headers.get("content-encoding") or "identity").strip().lower()
        if encoding != "identity":
            return response.json({"error": "compressed requests are not accepted"}, status=415)
        if problem or token is None:
            return response.json({"error": "the action server has no valid shared secret"}, status=503)
        if not token_matches(request.headers.get(TOKEN_HEADER), token):
            return response.json({"error": "unauthorized"}, status=401)
        return None

    async def quiet_errors(request: Any, exception: Exception) -> Any:
        status = exception.status_code if isinstance(exception, SanicException) else 500
        if status >= 500:
            action = None
            try:
                body = request.json if request.path == "/webhook" else None
                action = body.get("next_action") if isinstance(body, dict) else None
            except Exception:  # noqa: BLE001 - an unreadable body: name no action
                pass
            logger.error("Action %s failed: %s", action if isinstance(action, str) else "?",
                         type(exception).__name__)
        return response.json({"error": type(exception).__name__}, status=status)

    # Replaces rasa-sdk's handler for Exception (the one that echoes the request body).
    app.error_handler.add(Exception, quiet_errors)
