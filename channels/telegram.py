"""Telegram channel: a Rasa custom input channel on python-telegram-bot 22 (webhook mode).

Configured in credentials.yml as ``channels.telegram.TelegramInput:``; see docs/telegram.md.
Telegram POSTs each update to ``/webhooks/telegram/webhook`` with the header
``X-Telegram-Bot-Api-Secret-Token``; this channel turns it into a Rasa ``UserMessage`` and sends
the bot's replies back with Bot API calls (sendMessage with inline keyboards, answerCallbackQuery,
...).  No user-facing sentence lives here: every reply, including the polite refusal of stickers
and photos, comes from the domain's bilingual responses.

* Text goes to Rasa as it is.  ``/start`` becomes the greeting (``/greet`` with the language from
  the Telegram app's ``language_code``), ``/help`` becomes ``/what_can_you_do`` and
  ``/lang zh|en`` fixes the language of the chat: the choice is kept in memory (per chat) and
  sent as metadata ``{"language": ...}`` with every later message.
* Buttons become inline keyboards; a press (callback query) is answered with answerCallbackQuery
  and its payload is sent to Rasa.  Payloads over Telegram's 64-byte ``callback_data`` limit are
  replaced by a short id kept in a bounded in-memory dict.
* Stickers, photos, voice, locations, documents ... and edited messages are sent to Rasa as
  ``/out_of_scope`` so the bot answers with its own refusal in the citizen's language.
* Replies are plain text (no ``parse_mode``: nothing to escape, nothing Telegram can fail to
  parse), split under the 4096-character limit on line boundaries.

Rasa intent payloads (``/greet``) skip the NLU pipeline, so the language metadata would not reach
the language detector for them; where the language matters the payload carries it as an entity
instead (``/greet{"language":"en"}``), which fills the ``language`` slot.
"""
from __future__ import annotations

import argparse
import asyncio
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from telegram import (
    Bot,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from channels.rate_limit import RateLimiter, limiter_for
from channels.telegram_support import redact
from channels.telegram_support.state import (
    LANGUAGE_PREFIX,
    CallbackPayloads,
    LRUDict,
    RecentIds,
)
from channels.telegram_support.text import MAX_INPUT_CHARS, clean_text, display_width, split_text
from channels.web.channel import RequestError, check_payload

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SENDER_PREFIX = "telegram-"  # Rasa sender id: "telegram-<chat id>" (no clash with other channels)
LANGUAGES = ("zh", "en")
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")
MAX_BODY_BYTES = 1_000_000  # a real update is a few kB
MAX_BUTTONS = 100  # Telegram's limit per inline keyboard
PAIR_WIDTH = 16  # buttons this narrow (CJK counts 2) share a row, two by two
RETRY_AFTER_MAX = 5.0  # seconds we are willing to wait once when Telegram says "Too Many Requests"
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what setWebhook accepts as secret_token
COMMAND_RE = re.compile(r"^/(?P<cmd>[A-Za-z0-9_]{1,64})(?:@[A-Za-z0-9_]+)?(?:\s+(?P<arg>.*))?$", re.DOTALL)
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
TEXTS_FILE = Path(__file__).resolve().parent / "telegram_texts.yml"


@lru_cache(maxsize=1)
def channel_texts() -> dict[str, Any]:
    """The texts the channel sends by itself (the /lang picker, a text-less keyboard's text)."""
    return yaml.safe_load(TEXTS_FILE.read_text(encoding="utf-8")) or {}

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


# --------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class TelegramConfig:
    """Token, webhook secret and API location; ``repr`` never shows the token or the secret."""

    token: str = field(default="", repr=False)
    secret: str = field(default="", repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = 10.0

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None,
                         env: dict[str, str] | None = None) -> TelegramConfig:
        """Values from credentials.yml; token, secret and timeout fall back to the environment
        (``TELEGRAM_TOKEN``, ``TELEGRAM_SECRET``, ``HTTP_TIMEOUT`` via ``bot.settings.Settings``)."""
        from bot.settings import Settings

        creds = credentials or {}
        settings = Settings.from_env(env)

        def pick(key: str, fallback: Any) -> str:
            value = creds.get(key)
            return str(value).strip() if value not in (None, "") else str(fallback or "").strip()

        try:
            timeout = float(pick("timeout", settings.http_timeout))
        except ValueError:
            timeout = 0.0
        if not timeout > 0:
            logger.warning("telegram: invalid timeout; using %ss", cls.timeout)
            timeout = cls.timeout
        return cls(token=pick("token", settings.telegram_token),
                   secret=pick("secret", settings.telegram_secret),
                   base_url=pick("base_url", DEFAULT_BASE_URL),
                   timeout=timeout)

    @property
    def configured(self) -> bool:
        return bool(self.token and self.secret)


def make_bot(config: TelegramConfig) -> Bot:
    """A ``telegram.Bot`` on ``config.base_url`` with connect/read/write/pool timeouts."""
    redact.protect(config.token)  # the token is part of every request URL that httpx logs

    def request(pool: int) -> HTTPXRequest:
        return HTTPXRequest(connection_pool_size=pool, connect_timeout=min(5.0, config.timeout),
                            read_timeout=config.timeout, write_timeout=config.timeout,
                            pool_timeout=config.timeout)

    return Bot(config.token, base_url=config.base_url, request=request(32), get_updates_request=request(1))


# --------------------------------------------------------------------------- helpers


def sender_id(chat_id: int) -> str:
    return f"{SENDER_PREFIX}{chat_id}"


def chat_id_of(recipient_id: str) -> int | None:
    """The Telegram chat id of a Rasa sender id (``telegram-123`` or plain ``123``), else None."""
    raw = str(recipient_id).removeprefix(SENDER_PREFIX)
    try:
        return int(raw)
    except ValueError:
        logger.warning("telegram: %r is not a Telegram conversation; nothing sent", recipient_id)
        return None


def parse_language(value: str | None) -> str | None:
    """``zh``/``en`` from what a user may type after /lang (or a Telegram language_code)."""
    value = (value or "").strip().lower().replace("_", "-")
    words = channel_texts().get("language_words", {})
    for language in ("zh", "en"):
        if value in words.get(language, ()) or value.split("-")[0] == language:
            return language
    return None


def language_from_code(code: str | None) -> str | None:
    """The bot language for a Telegram ``language_code``: Chinese stays Chinese, any other
    language gets English (the bot's only other language); unknown → ``None`` (bot default)."""
    if not code:
        return None
    return parse_language(code) or "en"


def intent_payload(intent: str, language: str | None) -> str:
    """``/intent`` or ``/intent{"language":"en"}`` (the entity fills the language slot)."""
    if language not in LANGUAGES:
        return f"/{intent}"
    return f"/{intent}" + json.dumps({"language": language}, separators=(",", ":"))


def parse_command(text: str) -> tuple[str, str] | None:
    """``("lang", "en")`` for ``/lang@SomeBot en``; ``None`` if ``text`` is not a bot command."""
    match = COMMAND_RE.match(text)
    if not match:
        return None
    return match.group("cmd").lower(), (match.group("arg") or "").strip()


def layout(buttons: list[InlineKeyboardButton]) -> list[list[InlineKeyboardButton]]:
    """Rows of the inline keyboard: narrow buttons two by two, wide ones alone."""
    rows: list[list[InlineKeyboardButton]] = []
    for button in buttons:
        narrow = display_width(button.text) <= PAIR_WIDTH
        if narrow and rows and len(rows[-1]) == 1 and display_width(rows[-1][0].text) <= PAIR_WIDTH:
            rows[-1].append(button)
        else:
            rows.append([button])
    return rows


# --------------------------------------------------------------------------- output


class TelegramOutput(OutputChannel):
    """Sends Rasa's replies to one Telegram chat with Bot API calls; never raises on API errors
    (a failed send is logged, the rest of the turn still goes out and the tracker is saved)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    def __init__(self, bot: Bot, payloads: CallbackPayloads | None = None,
                 before_first_send: Awaitable[Any] | None = None) -> None:
        self.bot = bot
        self.payloads = payloads if payloads is not None else CallbackPayloads()
        # e.g. the "typing…" chat action: it must reach Telegram before the first reply does
        self._before_first_send = before_first_send

    async def call(self, method: Callable[..., Awaitable[Any]], **kwargs: Any) -> Any:
        """``await method(**kwargs)``; on a short flood wait retries once; errors → ``None``."""
        for attempt in (1, 2):
            try:
                return await method(**kwargs)
            except RetryAfter as exc:
                wait = exc.retry_after if isinstance(exc.retry_after, (int, float)) \
                    else exc.retry_after.total_seconds()
                if attempt == 2 or wait > RETRY_AFTER_MAX:
                    logger.warning("telegram: %s rate-limited (retry after %ss); dropped",
                                   getattr(method, "__name__", method), wait)
                    return None
                await asyncio.sleep(wait)
            except TelegramError as exc:
                logger.warning("telegram: %s failed: %s", getattr(method, "__name__", method), exc)
                return None
        return None

    async def _ready(self) -> None:
        if self._before_first_send is not None:
            pending, self._before_first_send = self._before_first_send, None
            await pending

    def keyboard(self, buttons: Iterable[Any]) -> InlineKeyboardMarkup | None:
        """Rasa buttons (``title`` + ``payload`` or ``url``) as an inline keyboard."""
        keys: list[InlineKeyboardButton] = []
        for button in list(buttons or [])[:MAX_BUTTONS]:
            if not isinstance(button, dict):
                continue
            payload = clean_text(str(button.get("payload") or "")).strip()
            url = str(button.get("url") or "").strip()
            title = clean_text(str(button.get("title") or "")).strip() or payload or url
            if not title:
                continue
            if url.startswith(("https://", "http://", "tg://")):
                keys.append(InlineKeyboardButton(title, url=url))
            elif payload:
                keys.append(InlineKeyboardButton(title, callback_data=self.payloads.encode(payload)))
        return InlineKeyboardMarkup(layout(keys)) if keys else None

    async def send(self, recipient_id: str, text: str | None,
                   reply_markup: InlineKeyboardMarkup | None = None) -> None:
        """``text`` split into ≤4096-unit messages; the keyboard goes with the last one."""
        await self._ready()
        chat_id = chat_id_of(recipient_id)
        if chat_id is None:
            return
        chunks = split_text(clean_text(text or ""))
        if not chunks:
            if reply_markup is None:
                return
            chunks = [channel_texts()["keyboard_only"]]
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await self.call(self.bot.send_message, chat_id=chat_id, text=chunk,
                            reply_markup=reply_markup if last else None,
                            link_preview_options=LinkPreviewOptions(is_disabled=True))

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send(recipient_id, text)

    async def send_text_with_buttons(self, recipient_id: str, text: str,
                                     buttons: list[dict[str, Any]], **kwargs: Any) -> None:
        await self.send(recipient_id, text, self.keyboard(buttons))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self._ready()
        chat_id = chat_id_of(recipient_id)
        if chat_id is None:
            return
        sent = await self.call(self.bot.send_photo, chat_id=chat_id, photo=image)
        if sent is None:
            await self.send(recipient_id, image)

    async def send_attachment(self, recipient_id: str, attachment: Any, **kwargs: Any) -> None:
        if isinstance(attachment, str):
            await self.send(recipient_id, attachment)
        else:
            logger.debug("telegram: attachment of type %s not sent", type(attachment).__name__)

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any],
                               **kwargs: Any) -> None:
        if isinstance(json_message, dict) and isinstance(json_message.get("text"), str):
            await self.send(recipient_id, json_message["text"])
        else:
            logger.debug("telegram: custom payload not sent (no 'text')")


# --------------------------------------------------------------------------- input


class TelegramInput(InputChannel):
    """Receives Telegram webhook updates at ``/webhooks/telegram/webhook``."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        return cls(TelegramConfig.from_credentials(credentials))

    def __init__(self, config: TelegramConfig | None = None) -> None:
        self.config = config if config is not None else TelegramConfig.from_credentials(None)
        redact.protect(self.config.token)
        self.payloads = CallbackPayloads()
        self.languages: LRUDict[int, str] = LRUDict(100_000)  # chat id → language chosen by /lang
        self.recent = RecentIds()
        self.limiter: RateLimiter | None = None  # set from the app on the first webhook call
        self.rate_noticed: LRUDict[int, float] = LRUDict(100_000)  # chat id → end of the window noticed
        self._bot: Bot | None = None
        if not self.config.token:
            logger.info("telegram: no token configured (TELEGRAM_TOKEN); the webhook answers 503")
        elif not self.config.secret:
            logger.warning("telegram: no webhook secret configured (TELEGRAM_SECRET); "
                           "the webhook answers 503 until one is set")
        elif not SECRET_RE.match(self.config.secret):
            logger.warning("telegram: the webhook secret may only contain A-Z, a-z, 0-9, _ and - "
                           "(1-256 characters); Telegram's setWebhook will refuse it")

    def url_prefix(self) -> str:
        return self.name()

    @property
    def bot(self) -> Bot:
        """The Bot API client, created on first use (no network call)."""
        if self._bot is None:
            self._bot = make_bot(self.config)
        return self._bot

    def get_output_channel(self) -> OutputChannel | None:
        """For messages Rasa sends on its own (e.g. ``trigger_intent?output_channel=telegram``)."""
        return TelegramOutput(self.bot, self.payloads) if self.config.token else None

    def secret_ok(self, provided: str | None) -> bool:
        """Constant-time comparison of the header with the configured secret."""
        if not provided or not self.config.secret:
            return False
        return hmac.compare_digest(provided.encode("utf-8", "replace"),
                                   self.config.secret.encode("utf-8", "replace"))

    async def close(self) -> None:
        if self._bot is not None:
            await self._bot.shutdown()
            self._bot = None

    # ----------------------------------------------------------------------- HTTP

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        bp = Blueprint("govassist_telegram_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config.configured else "not configured"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if not self.config.configured:
                return response.json({"ok": False, "description": "telegram channel not configured"},
                                     status=503)
            if not self.secret_ok(request.headers.get(SECRET_HEADER)):
                logger.warning("telegram: webhook call without the right secret from %s", request.ip)
                return response.json({"ok": False, "description": "forbidden"}, status=403)
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return response.json({"ok": False, "description": "too large"}, status=413)
            try:
                data = json.loads(body)
            except (ValueError, RecursionError):  # RecursionError: nested too deep ("[[[[…")
                return response.json({"ok": False, "description": "invalid JSON"}, status=400)
            if not isinstance(data, dict):
                return response.json({"ok": False, "description": "not an update"}, status=400)
            if self.limiter is None:
                self.limiter = limiter_for(request.app.ctx)
            # The one error boundary: whatever goes wrong with this update (a malformed update,
            # Rasa or the action server failing, an unexpected bug) is logged and answered with
            # 200. Telegram redelivers an update until it gets a 2xx, holding back the chat's
            # later updates meanwhile, so a 500 would replay a poison update (and any replies
            # already sent) over and over; the log is where the failure belongs.
            try:
                await self.handle_update(data, on_new_message)
            except Exception:
                logger.exception("telegram: failed to handle update %s", data.get("update_id"))
            return response.json({"ok": True})

        @bp.listener("after_server_stop")
        async def close_bot(*_: Any) -> None:
            await self.close()

        return bp

    # ----------------------------------------------------------------------- updates

    async def handle_update(self, data: dict[str, Any], on_new_message: OnNewMessage) -> None:
        """Process one update (already authenticated) end to end."""
        update = Update.de_json(data, self.bot)
        if update is None:
            return
        if self.recent.seen(update.update_id):
            logger.info("telegram: update %s delivered again; ignored", update.update_id)
            return
        if update.callback_query is not None:
            await self._on_callback(update.callback_query, on_new_message)
        elif update.edited_message is not None:
            await self._on_unsupported(update.edited_message, on_new_message)
        elif update.message is not None:
            message = update.message
            if message.text is not None:
                await self._on_text(message, on_new_message)
            elif message.effective_attachment is not None:
                await self._on_unsupported(message, on_new_message)
            else:  # service messages: someone joined a group, a title changed, ...
                logger.debug("telegram: service message in chat %s ignored", message.chat.id)
        else:  # channel posts, inline queries, chat member changes, ...
            logger.debug("telegram: update %s of an unhandled kind ignored", update.update_id)

    async def _on_text(self, message: Message, on_new_message: OnNewMessage) -> None:
        chat_id = message.chat.id
        text = clean_text(message.text, MAX_INPUT_CHARS).strip()
        if not text:
            return
        chosen = self.languages.get(chat_id)
        command = parse_command(text)
        if command is None:
            await self.to_rasa(chat_id, text, chosen, on_new_message)
            return
        name, arg = command
        if name == "start":
            code = message.from_user.language_code if message.from_user else None
            language = chosen or language_from_code(code)
            await self.to_rasa(chat_id, intent_payload("greet", language), language, on_new_message)
        elif name == "lang":
            language = parse_language(arg)
            if language is None:
                await self._language_picker(chat_id)
            else:
                await self._switch_language(chat_id, language, on_new_message)
        elif name == "help":
            await self.to_rasa(chat_id, intent_payload("what_can_you_do", chosen), chosen, on_new_message)
        else:  # "/greet", '/rate{"rating":"up"}', ... typed by hand: Rasa's own syntax
            await self.to_rasa(chat_id, text, chosen, on_new_message)

    async def _on_unsupported(self, message: Message, on_new_message: OnNewMessage) -> None:
        """Stickers, photos, voice, locations, edits ...: the bot's own refusal, in the chat's
        language (the /lang choice, else the conversation's current language)."""
        chat_id = message.chat.id
        chosen = self.languages.get(chat_id)
        await self.to_rasa(chat_id, intent_payload("out_of_scope", chosen), chosen, on_new_message)

    async def _on_callback(self, query: CallbackQuery, on_new_message: OnNewMessage) -> None:
        output = TelegramOutput(self.bot, self.payloads)
        await output.call(self.bot.answer_callback_query, callback_query_id=query.id)
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        # Telegram sends at most 64 bytes; whatever an update says, no more than a message's cap
        data = clean_text(query.data or "", MAX_INPUT_CHARS)
        if data.startswith(LANGUAGE_PREFIX):
            language = parse_language(data[len(LANGUAGE_PREFIX):])
            if language is not None:
                if message is not None:
                    await output.call(self.bot.edit_message_reply_markup, chat_id=chat_id,
                                      message_id=message.message_id, reply_markup=None)
                await self._switch_language(chat_id, language, on_new_message)
            return
        payload = self.payloads.resolve(data)
        if payload is None:  # a short id forgotten (restart, LRU): the button's title still works
            payload = self._button_title(message, data)
        if not payload:
            logger.info("telegram: button press with unknown data in chat %s ignored", chat_id)
            return
        await self.to_rasa(chat_id, payload, self.languages.get(chat_id), on_new_message)

    @staticmethod
    def _button_title(message: Any | None, data: str) -> str | None:
        markup = getattr(message, "reply_markup", None)
        for row in getattr(markup, "inline_keyboard", None) or ():
            for button in row:
                if button.callback_data == data and button.text:
                    return clean_text(button.text, MAX_INPUT_CHARS)
        return None

    async def _switch_language(self, chat_id: int, language: str, on_new_message: OnNewMessage) -> None:
        """Remember the choice and confirm it with the greeting in that language."""
        self.languages[chat_id] = language
        await self.to_rasa(chat_id, intent_payload("greet", language), language, on_new_message)

    async def _language_picker(self, chat_id: int) -> None:
        output = TelegramOutput(self.bot, self.payloads)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(b["title"], callback_data=LANGUAGE_PREFIX + b["language"])
                                        for b in channel_texts()["language_buttons"]]])
        await output.send(sender_id(chat_id), channel_texts()["language_picker"], markup)

    async def to_rasa(self, chat_id: int, text: str, language: str | None,
                      on_new_message: OnNewMessage) -> None:
        """Hand ``text`` to Rasa for ``chat_id``; replies go out through a TelegramOutput. A
        ``/intent{entities}`` payload (typed, or a button's data, which a client can forge) whose
        entities are not a small object of identifiers or numbers gets the bot's refusal instead:
        Rasa would put them into the slots unchecked, as the web and REST channels refuse them."""
        if await self._over_rate_limit(chat_id, text, language):
            return
        metadata = {"language": language} if language in LANGUAGES else None
        try:
            check_payload(text)
        except RequestError:
            logger.info("telegram: a payload with more than identifiers from chat %s refused", chat_id)
            text = intent_payload("out_of_scope", language)
        # "typing…" while Rasa works; sent concurrently, but always before the first reply
        typing = asyncio.ensure_future(TelegramOutput(self.bot).call(
            self.bot.send_chat_action, chat_id=chat_id, action=ChatAction.TYPING))
        output = TelegramOutput(self.bot, self.payloads, before_first_send=typing)
        try:
            await on_new_message(UserMessage(text, output, sender_id(chat_id), input_channel=self.name(),
                                             metadata=metadata))
        finally:
            await typing


    async def _over_rate_limit(self, chat_id: int, text: str, language: str | None) -> bool:
        """True if this chat is over its per-sender limit (channels/rate_limit.py; every update
        comes from Telegram's servers, so only the chat is counted): the message is dropped and,
        once per window, a polite notice is sent in the chat's language (the /lang choice, else
        the script of the message). Telegram gets its 200 either way, so nothing is redelivered."""
        if self.limiter is None:
            return False
        wait = await self.limiter.check_sender(sender_id(chat_id))
        if wait is None:
            return False
        now = time.time()
        if self.rate_noticed.get(chat_id, 0.0) <= now:
            self.rate_noticed[chat_id] = now + wait
            lang = language if language in LANGUAGES else ("zh" if CJK_RE.search(text) else "en")
            await TelegramOutput(self.bot).send(sender_id(chat_id), channel_texts()["rate_limited"][lang])
        return True


# --------------------------------------------------------------------------- command line


async def _cli(args: argparse.Namespace) -> int:
    config = TelegramConfig.from_credentials({"base_url": args.base_url} if args.base_url else None)
    if not config.token:
        print("TELEGRAM_TOKEN is not set", flush=True)
        return 2
    async with make_bot(config) as bot:  # initialize() calls getMe: checks the token
        print(f"bot: @{bot.username} (id {bot.id})")
        if args.command == "set-webhook":
            if not config.secret or not SECRET_RE.match(config.secret):
                print("TELEGRAM_SECRET must be set (1-256 characters: A-Z a-z 0-9 _ -)")
                return 2
            await bot.set_webhook(url=args.url, secret_token=config.secret,
                                  allowed_updates=list(ALLOWED_UPDATES),
                                  drop_pending_updates=args.drop_pending_updates)
            print(f"webhook set: {args.url}")
        elif args.command == "delete-webhook":
            await bot.delete_webhook(drop_pending_updates=args.drop_pending_updates)
            print("webhook deleted")
        info = await bot.get_webhook_info()
        print(f"webhook: {info.url or '(none)'}; pending updates: {info.pending_update_count}"
              + (f"; last error: {info.last_error_message}" if info.last_error_message else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m channels.telegram set-webhook https://HOST/webhooks/telegram/webhook`` (and
    ``info``, ``delete-webhook``); token and secret from TELEGRAM_TOKEN / TELEGRAM_SECRET."""
    ap = argparse.ArgumentParser(prog="python -m channels.telegram", description=main.__doc__)
    ap.add_argument("--base-url", help=f"Bot API URL (default {DEFAULT_BASE_URL})")
    sub = ap.add_subparsers(dest="command", required=True)
    set_hook = sub.add_parser("set-webhook", help="point Telegram at this server (with the secret)")
    set_hook.add_argument("url", help="public HTTPS URL ending in /webhooks/telegram/webhook")
    set_hook.add_argument("--drop-pending-updates", action="store_true")
    delete = sub.add_parser("delete-webhook", help="stop Telegram from calling the webhook")
    delete.add_argument("--drop-pending-updates", action="store_true")
    sub.add_parser("info", help="show the bot and its webhook status")
    args = ap.parse_args(argv)
    if not hasattr(args, "drop_pending_updates"):
        args.drop_pending_updates = False
    try:
        return asyncio.run(_cli(args))
    except TelegramError as exc:
        print(f"Telegram API error: {redact.redact(str(exc))}")
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
