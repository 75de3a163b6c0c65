"""The production proxy's configuration (scripts/nginx_conf.py) served by the real nginx in front of
small loopback upstreams: the public port passes the channels and nothing else, and publishes the
REST channel only when ``REST_TOKEN`` is set; a web chat message whose replica died mid-request
is passed on to the next replica (its message id makes that safe), a REST message is not, and a
replica that failed once is left out of the rotation so that the client's retry reaches another."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from scripts.nginx_conf import render
from tests.telegram.bot_api_double import free_port

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
pytestmark = pytest.mark.skipif(not shutil.which("nginx") and not __import__("os").path.exists(NGINX),
                                reason="nginx missing (make system-deps)")


class Upstream(ThreadingHTTPServer):
    """Answers every POST with its own name; ``drop=True`` closes the connection mid-request
    (a replica killed while a message was in flight)."""

    def __init__(self, name: str, drop: bool = False, port: int = 0) -> None:
        self.name, self.drop, self.posts = name, drop, []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                self._answer({"upstream": outer.name})

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.posts.append((self.path, body))
                if outer.drop:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                self._answer({"upstream": outer.name, "path": self.path})

            def _answer(self, obj: dict) -> None:
                data = json.dumps(obj).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        super().__init__(("127.0.0.1", port or free_port()), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def proxy(tmp_path):
    """``proxy(rasa_upstreams, rest_token)`` → the public port's URL of a running nginx."""
    procs, servers = [], []

    def start(upstreams: list[Upstream], rest_token: str = "") -> str:
        servers.extend(upstreams)
        public = free_port()
        (tmp_path / "logs").mkdir(exist_ok=True)
        conf = tmp_path / "nginx.conf"
        conf.write_text(render(str(tmp_path), public, free_port(), free_port(),
                               [u.address for u in upstreams], ["127.0.0.1:9"], rest_token))
        proc = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(tmp_path), "-e", str(tmp_path / "err.log")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(proc)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", public), timeout=0.2).close()
                return f"http://127.0.0.1:{public}"
            except OSError:
                if proc.poll() is not None:
                    raise RuntimeError(proc.stderr.read().decode())
                time.sleep(0.05)
        raise RuntimeError("nginx did not start")

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=10)
    for server in servers:
        server.shutdown()


def post(url: str, path: str, headers: dict | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(url + path, b'{"sender":"s","message":"hi"}',
                                 {"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read().decode())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read().decode() or "null") if "json" in (e.headers.get("Content-Type") or "") else {}


def test_without_rest_token_the_public_rest_channel_is_refused_in_both_languages(proxy):
    upstream = Upstream("a")
    url = proxy([upstream])
    status, body = post(url, "/webhooks/rest/webhook")
    assert status == 403 and body["error"] == "rest_disabled"
    assert body["detail"]["zh"].startswith("此服务") and "REST channel" in body["detail"]["en"]
    assert upstream.posts == []  # never reached a replica
    assert post(url, "/webhooks/webchat/webhook") == (200, {"upstream": "a", "path": "/webhooks/webchat/webhook"})
    assert post(url, "/webhooks/telegram/webhook")[0] == 200
    assert post(url, "/conversations/x/tracker")[0] == 404  # Rasa's API is never public


def test_with_rest_token_the_rest_channel_is_passed_on(proxy):
    upstream = Upstream("a")
    url = proxy([upstream], rest_token="t0ken")
    assert post(url, "/webhooks/rest/webhook") == (200, {"upstream": "a", "path": "/webhooks/rest/webhook"})


def test_a_web_chat_message_in_flight_on_a_dying_replica_goes_to_the_next_one(proxy):
    dying, alive = Upstream("dying", drop=True), Upstream("alive")
    url = proxy([dying, alive], rest_token="t0ken")
    answers = [post(url, "/webhooks/webchat/webhook") for _ in range(4)]
    assert answers == [(200, {"upstream": "alive", "path": "/webhooks/webchat/webhook"})] * 4
    assert dying.posts  # some were sent to the dying replica first and passed on


def test_a_rest_message_on_a_dying_replica_is_not_re_sent_and_the_retry_skips_that_replica(proxy):
    dying, alive = Upstream("dying", drop=True), Upstream("alive")
    url = proxy([dying, alive], rest_token="t0ken")
    codes = []
    while not dying.posts and len(codes) < 4:
        codes.append(post(url, "/webhooks/rest/webhook")[0])
    # the REST channel has no message id: a message the dying replica may have stored is not re-sent
    assert dying.posts and codes[-1] == 502
    sent = len(dying.posts)
    retries = [post(url, "/webhooks/rest/webhook") for _ in range(6)]
    assert retries == [(200, {"upstream": "alive", "path": "/webhooks/rest/webhook"})] * 6
    assert len(dying.posts) == sent  # out of the rotation after one failure (max_fails=1)



class Starting:
    """A replica still loading its model: its port refuses connections until ``start()``."""

    def __init__(self, name: str) -> None:
        self.name, self.port, self.server = name, free_port(), None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> Upstream:
        self.server = Upstream(self.name, port=self.port)
        return self.server

    def shutdown(self) -> None:
        if self.server:
            self.server.shutdown()


def test_a_replica_found_down_while_starting_still_answers_when_the_other_dies(proxy):
    starting, dying = Starting("late"), Upstream("dying")
    url = proxy([starting, dying], rest_token="t0ken")
    urllib.request.urlopen(url + "/", timeout=10).close()  # a health check: "late" refused, out for 2 s
    late = starting.start()
    dying.drop = True  # then the only replica in the rotation dies
    answers = [post(url, "/webhooks/webchat/webhook") for _ in range(3)]
    assert answers == [(200, {"upstream": "late", "path": "/webhooks/webchat/webhook"})] * 3
    dying.shutdown()
    dying.server_close()  # dead now: its port refuses, and a REST message is passed on safely
    assert [post(url, "/webhooks/rest/webhook") for _ in range(3)] == [
        (200, {"upstream": "late", "path": "/webhooks/rest/webhook"})] * 3
    assert len(late.posts) == 6
