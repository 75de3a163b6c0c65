"""Per-sender and per-IP rate limits for the web chat and REST webhooks (fixed one-minute windows).

Every message posted to ``/webhooks/webchat/webhook`` or ``/webhooks/rest/webhook`` is counted,
after the request was checked and before it reaches Rasa, under two keys: its sender and its
client IP. Over either limit the channel answers 429 ``rate_limited`` (the usual JSON error shape,
a polite zh/en text from channels/web/errors.yml) with ``Retry-After`` (seconds to the end of the
window); the message is not handled, so the widget keeps it queued and sends it again, with the
same message id, after that wait.

Limits (``bot/settings.py``, from the environment; ``0`` switches one off):

* ``RATE_LIMIT_PER_SENDER`` (default 20 messages a minute): one conversation; a citizen types
  far less, a script far more;
* ``RATE_LIMIT_PER_IP`` (default 120 a minute): all conversations from one address, so a script
  cannot escape the sender limit by making up senders (REST senders are free-form); higher than
  the sender limit because several citizens may share one address (an office, a mobile NAT).

Where the counts are kept: with Rasa's lock store in Redis (production: endpoints.prod.yml, the
replicas behind nginx share it) in that Redis, under ``<lock key prefix>rate:<kind>:<key>:<window>``,
both keys counted by one Lua script (INCR, and PEXPIRE on the first count: atomic, one round trip
per message), so the replicas share the limits; with any other lock store (one server, ``make
run``) in this process. If Redis fails, the message is let through and a warning logged: a rate
limiter must never take the service down (the lock store failing stops the turn anyway).

The client IP: the connection's peer address, unless the peer is the proxy on loopback (nginx in
production, deploy/nginx.conf.template, appends the address it saw to ``X-Forwarded-For``): then
the right-most address in ``X-Forwarded-For`` that is not a loopback one, the one the first proxy
on this machine saw (addresses further left are whatever the client wrote). ``X-Forwarded-For``
from any other peer is ignored, as is ``X-Real-IP``.

Exempt, by design: a loopback client (every address in the chain is loopback) is not limited per
IP, and a request from a loopback peer without any ``X-Forwarded-For`` (a tool on this machine
talking to Rasa directly: the evaluation tool's ~2,000 REST messages from 127.0.0.1, the load
benchmark, the end-to-end tests and their fuzzing, ``make run``'s widget) is not limited at all.
In production every replica listens on loopback only and every citizen's request arrives through
nginx, which always sets the header, so citizens are always limited. A TLS ingress on loopback in
front of nginx must append ``X-Forwarded-For`` too (else every citizen counts as loopback: then
only the sender limit applies).

Decision logic (:func:`client_ip`, :func:`is_local_tool`, :func:`verdict`, :class:`MemoryCounter`)
has no Rasa or Sanic import; :func:`limiter_for` finds the Redis of a Rasa agent's lock store.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60
SENDER, IP = "sender", "ip"

# KEYS: the counters of this window; ARGV[1]: the window in ms. The counts after this message.
_COUNT = """
local counts = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('incr', key)
  if n == 1 then redis.call('pexpire', key, ARGV[1]) end
  counts[i] = n
end
return counts
"""


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address.strip().strip("[]")).is_loopback
    except ValueError:
        return False


def client_ip(peer: str, forwarded_for: str | None) -> str:
    """The client's address: ``peer``, or for a loopback peer (the proxy) the right-most
    non-loopback address of ``X-Forwarded-For`` (the one the proxy saw), else ``peer`` itself."""
    if not _is_loopback(peer) or not forwarded_for:
        return peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if hop and not _is_loopback(hop):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:  # garbage where an address should be: the proxy's chain is broken
                return hop[:64]
    return peer


def is_local_tool(peer: str, forwarded_for: str | None) -> bool:
    """A request from this machine that no proxy passed on: never limited."""
    return _is_loopback(peer) and forwarded_for is None


@dataclass(frozen=True)
class Limits:
    per_sender: int = 20  # messages per window; 0 = no limit
    per_ip: int = 120
    window: int = WINDOW_SECONDS

    @classmethod
    def from_settings(cls, settings: Any) -> "Limits":
        return cls(per_sender=settings.rate_limit_per_sender, per_ip=settings.rate_limit_per_ip)


def checks(limits: Limits, sender: str, ip: str) -> list[tuple[str, str, int]]:
    """The ``(kind, key, limit)`` counters one message counts against (a loopback IP has none)."""
    out = []
    if limits.per_ip > 0 and not _is_loopback(ip):
        out.append((IP, ip, limits.per_ip))
    if limits.per_sender > 0:
        out.append((SENDER, sender, limits.per_sender))
    return out


def verdict(counts: Sequence[int], limits: Sequence[int], now: float, window: int) -> int | None:
    """None if every count is within its limit, else the seconds to wait (to the window's end, ≥ 1)."""
    if all(n <= limit for n, limit in zip(counts, limits)):
        return None
    return max(1, math.ceil((math.floor(now / window) + 1) * window - now))


class MemoryCounter:
    """Counts in this process (one server): ``{(kind, key): count}`` for the current window only."""

    def __init__(self) -> None:
        self._window: int | None = None
        self._counts: dict[tuple[str, str], int] = {}

    def count(self, keys: Sequence[tuple[str, str]], window_index: int) -> list[int]:
        if window_index != self._window:  # a new window: the old counts are no use any more
            self._window, self._counts = window_index, {}
        out = []
        for key in keys:
            self._counts[key] = self._counts.get(key, 0) + 1
            out.append(self._counts[key])
        return out


class RedisCounter:
    """Counts in a Redis shared by the replicas (the lock store's), one Lua script per message."""

    def __init__(self, redis: Any, key_prefix: str) -> None:
        self.redis, self.key_prefix = redis, key_prefix

    def key(self, kind: str, key: str, window_index: int) -> str:
        return f"{self.key_prefix}rate:{kind}:{key}:{window_index}"

    async def count(self, keys: Sequence[tuple[str, str]], window_index: int, window: int) -> list[int]:
        names = [self.key(kind, key, window_index) for kind, key in keys]
        counts = await asyncio.to_thread(self.redis.eval, _COUNT, len(names), *names, window * 1000)
        return [int(n) for n in counts]


class RateLimiter:
    """``await check(sender, peer, forwarded_for)``: None (go on) or the seconds to wait."""

    def __init__(self, limits: Limits, redis: RedisCounter | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits, self.redis, self.clock = limits, redis, clock
        self.memory = MemoryCounter()

    async def check(self, sender: str, peer: str, forwarded_for: str | None) -> int | None:
        if is_local_tool(peer, forwarded_for):
            return None
        return await self._count(checks(self.limits, sender, client_ip(peer, forwarded_for)), sender)

    async def check_sender(self, sender: str) -> int | None:
        """The sender limit alone: for a channel whose requests all come from one platform's
        servers (Telegram), where the peer address says nothing about the citizen."""
        if self.limits.per_sender <= 0:
            return None
        return await self._count([(SENDER, sender, self.limits.per_sender)], sender)

    async def _count(self, todo: list[tuple[str, str, int]], sender: str) -> int | None:
        if not todo:
            return None
        now = self.clock()
        window_index = int(now // self.limits.window)
        keys = [(kind, key) for kind, key, _ in todo]
        if self.redis is not None:
            try:
                counts = await self.redis.count(keys, window_index, self.limits.window)
            except Exception as e:  # fail open: a limiter must not take the service down
                logger.warning("rate limit: Redis failed (%s: %s); message let through", type(e).__name__, e)
                return None
        else:
            counts = self.memory.count(keys, window_index)
        wait = verdict(counts, [limit for _, _, limit in todo], now, self.limits.window)
        if wait is not None:
            over = [kind for (kind, _, limit), n in zip(todo, counts) if n > limit]
            logger.info("rate limit: %s over the %s limit; retry after %d s", sender, "/".join(over), wait)
        return wait


def limiter_for(ctx: Any) -> RateLimiter:
    """The app's limiter (made once per app, kept on ``ctx``): in the Redis of the agent's lock
    store if that is a Redis lock store, else in memory; limits from the settings."""
    limiter = getattr(ctx, "rate_limiter", None)
    if limiter is None:
        from rasa.core.lock_store import RedisLockStore

        from bot.settings import Settings

        lock_store = getattr(getattr(ctx, "agent", None), "lock_store", None)
        redis = RedisCounter(lock_store.red, lock_store.key_prefix) if isinstance(lock_store, RedisLockStore) else None
        limiter = RateLimiter(Limits.from_settings(Settings.from_env()), redis)
        ctx.rate_limiter = limiter
    return limiter


def request_peer(request: Any) -> tuple[str, str | None]:
    """``(peer address, X-Forwarded-For or None)`` of a Sanic request."""
    headers: Mapping[str, str] = request.headers
    return request.ip or "", headers.get("x-forwarded-for")
