"""rasa-sdk's plugin package: rasa-sdk imports ``rasa_sdk_plugins`` and calls ``init_hooks``.

It registers :func:`bot.action_server.secure_action_server` for the hook
``attach_sanic_app_extensions``, so every action server started from this project (``wegwijzer
serve``, ``wegwijzer actions``, ``rasa run actions``) requires the shared secret.
"""
from __future__ import annotations

from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class _WegwijzerPlugin:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        from bot.action_server import secure_action_server

        secure_action_server(app)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(_WegwijzerPlugin(), name="wegwijzer")
