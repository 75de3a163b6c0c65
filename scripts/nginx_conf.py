"""Renders deploy/nginx.conf.template for `make run-prod` (scripts/run_prod.sh).

    python scripts/nginx_conf.py --var DIR --public-port 5005 --api-port 5006 --action-lb-port 5055 \
        --rasa 127.0.0.1:5101 127.0.0.1:5102 --actions 127.0.0.1:5201 127.0.0.1:5202 > nginx.conf

The public port carries the citizens' channels. Rasa's REST channel is one of them only when
``REST_TOKEN`` is set (the channel then refuses any call without it, channels/rest.py); unset, the
public port answers ``/webhooks/rest/`` itself with 403 ``rest_disabled`` and the zh/en texts of
channels/web/errors.yml, and REST stays on the internal API port for tools on this machine.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "deploy" / "nginx.conf.template"
ERRORS = ROOT / "channels" / "web" / "errors.yml"


def rest_location(rest_token: str) -> str:
    """The public port's answer to the REST channel: nothing (passed on with the rest of
    /webhooks/) with a token, else a 403 JSON error written by nginx itself."""
    if rest_token:
        return "# REST_TOKEN is set: /webhooks/rest/ is passed on; the channel checks the token"
    detail = yaml.safe_load(ERRORS.read_text(encoding="utf-8"))["rest_disabled"]
    body = json.dumps({"error": "rest_disabled", "detail": detail}, ensure_ascii=True)
    body = body.replace("\\", "\\\\").replace("'", "\\'")
    return ("location /webhooks/rest/ {\n"
            "            default_type application/json;\n"
            f"            return 403 '{body}';\n"
            "        }")


def render(var: str, public_port: int, api_port: int, action_lb_port: int,
           rasa: list[str], actions: list[str], rest_token: str = "") -> str:
    # One failed request takes a server out of the rotation for 2 s (then one request probes it):
    # a replica that died is not picked again, neither for a new connection (refused, passed on)
    # nor for a kept-alive one nginx has not yet seen closed (a POST sent on it gets a reset and is
    # not passed on: the client's retry would get a 502 too). The same servers are listed again as
    # backups that are never taken out: when every one is out (a replica probed while it was still
    # starting, then the other one dies), nginx still tries them all instead of answering 502. The
    # window is short so that a replica found down while starting is back in the rotation (and the
    # backups, which share the dead replica's kept-alive connections, unused) by the time another
    # one dies; the client's immediate retry still falls inside it.
    def servers(hosts: list[str]) -> str:
        return " ".join([f"server {h} max_fails=1 fail_timeout=2s;" for h in hosts]
                        + [f"server {h} backup max_fails=0;" for h in hosts])

    text = TEMPLATE.read_text(encoding="utf-8")
    for name, value in {"VAR": var, "PUBLIC_PORT": str(public_port), "API_PORT": str(api_port),
                        "ACTION_LB_PORT": str(action_lb_port), "RASA_SERVERS": servers(rasa),
                        "ACTION_SERVERS": servers(actions), "REST_LOCATION": rest_location(rest_token)}.items():
        text = text.replace(f"@{name}@", value)
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--var", required=True)
    p.add_argument("--public-port", type=int, required=True)
    p.add_argument("--api-port", type=int, required=True)
    p.add_argument("--action-lb-port", type=int, required=True)
    p.add_argument("--rasa", nargs="+", required=True, help="host:port of each Rasa replica")
    p.add_argument("--actions", nargs="+", required=True, help="host:port of each action server")
    a = p.parse_args(argv)
    sys.stdout.write(render(a.var, a.public_port, a.api_port, a.action_lb_port, a.rasa, a.actions,
                            os.environ.get("REST_TOKEN", "")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
