"""The action server with personal data masked in its logs: ``python -m service_desk.action_server``.

Takes the arguments of ``python -m rasa_sdk`` (``--actions actions --port 5055``, ``--debug``,
``--log-file`` ...) and runs rasa-sdk's own entry point with them. Before it does, it registers a
plugin for rasa-sdk's ``attach_sanic_app_extensions`` hook (its plugin manager, rasa_sdk.plugin),
which rasa-sdk calls once it has configured logging and built the app: the plugin puts
:class:`service_desk.log_masking.MaskingFilter` on every log handler then configured (root,
``rasa_sdk``, the log file, ``logging.lastResort`` for sanic's loggers) and again just before the
server starts. So a failing action's traceback, or a DEBUG line, that quotes a citizen's message
is written with ID-card and phone numbers masked, as the Rasa server's are (bot/nlg.py).

Nothing happens on import; scripts/run.sh, scripts/run_prod.sh and tests/stack.py start the action
server this way.
"""
from __future__ import annotations

import sys
from typing import Any

import pluggy

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class MaskingPlugin:
    """rasa-sdk plugin: personal data masked in every log handler of the action server."""

    @hookimpl
    def attach_sanic_app_extensions(self, app: Any) -> None:
        from service_desk.log_masking import install_everywhere

        install_everywhere()

        async def mask_before_start(_app: Any, _loop: Any) -> None:  # handlers added meanwhile
            install_everywhere()

        app.register_listener(mask_before_start, "before_server_start")


def main(argv: list[str] | None = None) -> None:
    """Runs rasa-sdk's action server with ``argv`` (default: the command line), logs masked."""
    from rasa_sdk.__main__ import main_from_args
    from rasa_sdk.endpoint import create_argument_parser
    from rasa_sdk.plugin import plugin_manager

    args = create_argument_parser().parse_args(sys.argv[1:] if argv is None else argv)
    manager = plugin_manager()
    if not any(isinstance(p, MaskingPlugin) for p in manager.get_plugins()):
        manager.register(MaskingPlugin())
    main_from_args(args)


if __name__ == "__main__":
    main()
