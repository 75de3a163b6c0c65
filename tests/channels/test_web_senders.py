"""Signed web chat sender ids (channels/web/senders.py): issued ids verify, anything else does not;
the key comes from WEB_SENDER_SECRET or from a key file made once, atomically, readable by us only."""
from __future__ import annotations

import hmac
import multiprocessing
import os
import re
import stat
import subprocess
import sys
import uuid

import pytest

from bot.settings import REPO_ROOT, Settings
from channels.web import senders
from channels.web.channel import SENDER_RE, RequestError, check_sender

KEY = os.urandom(32)
OTHER_KEY = os.urandom(32)
SECRET = "s" * 20 + "-a-web-sender-secret"  # 40 characters


def flip(ch: str) -> str:
    return "B" if ch == "A" else "A"


def test_an_issued_id_has_the_documented_shape_and_verifies():
    ids = {senders.issue(KEY) for _ in range(200)}
    assert len(ids) == 200  # random
    for sender in ids:
        assert re.fullmatch(r"web-[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}", sender), sender
        assert SENDER_RE.match(sender) and len(sender) == 49
        assert senders.is_issued(KEY, sender)
        assert not senders.is_issued(OTHER_KEY, sender)  # another key (a rotated one): refused


def test_the_mac_is_128_bits_of_hmac_sha256_of_the_random_part():
    sender = senders.issue(KEY)
    part, given = sender.split(".")
    digest = hmac.new(KEY, part.encode(), "sha256").digest()[:16]
    assert senders.mac(KEY, part) == given
    assert given == __import__("base64").urlsafe_b64encode(digest).rstrip(b"=").decode()


def forgeries(sender: str) -> list:
    part, given = sender.split(".")
    other_part, other_mac = senders.issue(KEY).split(".")
    return [
        f"{part}.{flip(given[0])}{given[1:]}",        # the valid random part, a changed MAC
        f"{part}.{given[:-1]}{flip(given[-1])}",      # the MAC's last character (its spare bits too)
        f"{part}.{other_mac}",                          # another id's MAC
        f"{other_part[:-1]}{flip(other_part[-1])}.{other_mac}",  # another random part
        f"{part}.{senders.mac(OTHER_KEY, part)}",      # signed under another key
        f"web-{uuid.uuid4()}",                          # what the widget used to make up
        f"web-{uuid.uuid4().hex}",
        part,                                           # no MAC
        f"{part}.",
        f"{part}.{given}\n",
        f" {sender}",
        f"{sender}x",
        f"{part}.{given[:21]}",
        f"WEB-{part[4:]}.{given}",
        f"telegram-{part[4:]}.{given}",
        f"telegram-{uuid.uuid4().int % 10**9}",
        "", "web-", ".", "default", None, 42, b"bytes", [sender], {"sender": sender},
    ]


def test_anything_but_an_issued_id_is_refused():
    sender = senders.issue(KEY)
    for forged in forgeries(sender):
        assert not senders.is_issued(KEY, forged), forged
    assert senders.is_issued(KEY, sender)


def test_the_mac_is_compared_in_constant_time(monkeypatch):
    calls, compare = [], hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(senders.hmac, "compare_digest", spy)
    sender = senders.issue(KEY)
    part, given = sender.split(".")
    assert senders.is_issued(KEY, sender)
    assert not senders.is_issued(KEY, f"{part}.{flip(given[0])}{given[1:]}")
    assert calls == [(given, given), (given, f"{flip(given[0])}{given[1:]}")]


def test_the_channel_check_gives_the_documented_errors():
    sender = senders.issue(KEY)
    assert check_sender(sender, KEY) == sender
    for bad, code, status in [(None, "invalid_sender", 400), ("a/b", "invalid_sender", 400),
                              ("x" * 129, "invalid_sender", 400), ("telegram-42", "invalid_sender", 400),
                              ("Telegram-42", "invalid_sender", 400),
                              (f"web-{uuid.uuid4()}", "sender_not_issued", 403),
                              (sender[:-1] + flip(sender[-1]), "sender_not_issued", 403),
                              (senders.issue(OTHER_KEY), "sender_not_issued", 403)]:
        with pytest.raises(RequestError) as e:
            check_sender(bad, KEY)
        assert (e.value.code, e.value.status) == (code, status), bad


# --------------------------------------------------------------------------- the key


def settings(tmp_path, **env) -> Settings:
    return Settings.from_env({"GOVASSIST_DATA_DIR": str(tmp_path), **env})


def test_the_secret_from_the_environment_is_the_key_and_no_file_is_made(tmp_path):
    a = senders.sender_key(settings(tmp_path, WEB_SENDER_SECRET=SECRET))
    b = senders.sender_key(settings(tmp_path / "elsewhere", WEB_SENDER_SECRET=SECRET))
    assert a == b == SECRET.encode()
    assert senders.is_issued(b, senders.issue(a))  # replicas on several hosts, one secret
    other = senders.sender_key(settings(tmp_path, WEB_SENDER_SECRET=SECRET[::-1]))
    assert not senders.is_issued(other, senders.issue(a))  # rotated: every old id is refused
    assert list(tmp_path.iterdir()) == []


def test_a_short_secret_is_refused(tmp_path):
    with pytest.raises(ValueError, match="WEB_SENDER_SECRET"):
        senders.sender_key(settings(tmp_path, WEB_SENDER_SECRET="too short"))


def test_the_secret_stays_out_of_the_settings_repr(tmp_path):
    s = settings(tmp_path, WEB_SENDER_SECRET=SECRET)
    assert s.web_sender_secret == SECRET and SECRET not in repr(s)


def test_without_the_secret_a_private_key_file_is_made_once(tmp_path):
    s = settings(tmp_path / "data")
    key = senders.sender_key(s)
    path = tmp_path / "data" / "web_sender.key"
    assert s.web_sender_key_file == path
    assert len(key) == 32 and path.read_bytes() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert senders.sender_key(settings(tmp_path / "data")) == key  # the next start, another replica
    assert [p.name for p in path.parent.iterdir()] == ["web_sender.key"]  # no temporary file left


def test_a_damaged_key_file_is_refused(tmp_path):
    (tmp_path / "web_sender.key").write_bytes(b"short")
    with pytest.raises(ValueError, match="32 bytes"):
        senders.sender_key(settings(tmp_path))


def _make_key(path: str, start, out) -> None:
    start.wait()
    out.put(senders.key_file(__import__("pathlib").Path(path)))


def test_replicas_starting_together_end_up_with_one_key(tmp_path):
    ctx = multiprocessing.get_context("fork")
    start, out = ctx.Event(), ctx.Queue()
    path = tmp_path / "web_sender.key"
    procs = [ctx.Process(target=_make_key, args=(str(path), start, out)) for _ in range(8)]
    for p in procs:
        p.start()
    start.set()
    keys = [out.get(timeout=30) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert len(set(keys)) == 1 and keys[0] == path.read_bytes()
    assert [p.name for p in tmp_path.iterdir()] == ["web_sender.key"]


def test_the_module_imports_neither_rasa_nor_anything_at_import_time(tmp_path):
    code = ("import sys, channels.web.senders; "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('rasa', 'sanic', 'bot')], sorted(sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT), "GOVASSIST_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_channel_reads_its_key_when_it_starts_not_before(monkeypatch, tmp_path):
    from channels.web.channel import WebChatInput

    async def on_new_message(_message) -> None:
        pass

    monkeypatch.setenv("GOVASSIST_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("WEB_SENDER_SECRET", raising=False)
    channel = WebChatInput.from_credentials(None)
    assert list(tmp_path.iterdir()) == []  # nothing at construction
    channel.blueprint(on_new_message)  # what `rasa run` does at start-up
    assert channel.sender_key() == (tmp_path / "web_sender.key").read_bytes()

    monkeypatch.setenv("WEB_SENDER_SECRET", SECRET)
    assert WebChatInput.from_credentials(None).sender_key() == SECRET.encode()
    monkeypatch.setenv("WEB_SENDER_SECRET", "too short")
    with pytest.raises(ValueError, match="WEB_SENDER_SECRET"):  # the server does not start
        WebChatInput.from_credentials(None).blueprint(on_new_message)
