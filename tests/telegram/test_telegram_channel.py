"""The Telegram channel in-process, against the Bot API double (no Rasa model needed).

Rasa's side is a stub agent that records each ``UserMessage`` and answers through the channel's
output like Rasa would (text, buttons); the HTTP tests mount the channel's blueprint on a Sanic
app served on loopback, the way ``rasa run`` does.
"""
from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage, register
from sanic import Sanic

from channels import telegram as tg
from channels.telegram import TelegramConfig, TelegramInput, TelegramOutput
from channels.telegram_support.state import CallbackPayloads, LRUDict, RecentIds
from channels.telegram_support.text import MAX_INPUT_CHARS, utf16_len
from tests.telegram import updates as U
from tests.telegram.bot_api_double import TEST_TOKEN as TOKEN
from tests.telegram.bot_api_double import FakeBotApi, free_port

SECRET = "unit-test_secret-123"
FOOTER_ZH = [
    {"title": "需要什么材料", "payload": "/ask_materials"},
    {"title": "在哪里办", "payload": "/ask_where"},
    {"title": "收费", "payload": "/ask_fee"},
    {"title": "网上办理", "payload": "/ask_online"},
    {"title": "👍 有帮助", "payload": '/rate{"rating":"up"}'},
    {"title": "👎 没帮助", "payload": '/rate{"rating":"down"}'},
]
LONG_PAYLOAD = '/inform_service{"service":"housing_provident_fund_withdrawal_for_retirement"}'


class StubRasa:
    """Records what reaches Rasa; replies with ``reply(message)`` → list of Rasa bot messages."""

    def __init__(self, reply: Callable[[UserMessage], list[dict[str, Any]]] | None = None) -> None:
        self.messages: list[UserMessage] = []
        self.reply = reply or (lambda m: [{"text": f"echo: {m.text}"}])

    async def __call__(self, message: UserMessage) -> None:
        self.messages.append(message)
        for response in self.reply(message):
            await message.output_channel.send_response(message.sender_id, dict(response))

    async def handle_message(self, message: UserMessage) -> None:  # the agent interface
        await self(message)

    @property
    def texts(self) -> list[str]:
        return [m.text for m in self.messages]


@pytest.fixture
async def channel(bot_api: FakeBotApi):
    ch = TelegramInput(TelegramConfig(token=TOKEN, secret=SECRET, base_url=bot_api.base_url, timeout=5))
    yield ch
    await ch.close()


# --------------------------------------------------------------------------- configuration


def test_config_from_credentials_wins_over_environment():
    env = {"TELEGRAM_TOKEN": "env-token", "TELEGRAM_SECRET": "env-secret", "HTTP_TIMEOUT": "7"}
    config = TelegramConfig.from_credentials({"token": "yml-token", "secret": None,
                                              "base_url": "http://127.0.0.1:1/bot"}, env)
    assert (config.token, config.secret, config.base_url, config.timeout) == \
        ("yml-token", "env-secret", "http://127.0.0.1:1/bot", 7.0)
    config = TelegramConfig.from_credentials(None, env)
    assert (config.token, config.secret, config.base_url) == ("env-token", "env-secret", tg.DEFAULT_BASE_URL)
    assert config.configured


def test_config_bad_timeout_falls_back():
    assert TelegramConfig.from_credentials({"timeout": "soon"}, {}).timeout == 10.0
    assert TelegramConfig.from_credentials({"timeout": 0}, {}).timeout == 10.0
    assert TelegramConfig.from_credentials({"timeout": "2.5"}, {}).timeout == 2.5


def test_config_never_shows_token_or_secret():
    config = TelegramConfig(token="123:SECRET-TOKEN", secret="hush")
    assert "SECRET-TOKEN" not in repr(config) and "hush" not in repr(config)


def test_channel_loads_without_any_credentials(monkeypatch):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_SECRET", raising=False)
    channel = TelegramInput.from_credentials(None)
    assert channel.name() == "telegram" and channel.url_prefix() == "telegram"
    assert not channel.config.configured
    assert channel.get_output_channel() is None
    assert isinstance(channel.blueprint(StubRasa()), object)


def test_project_credentials_load_the_channel_without_telegram_secrets(monkeypatch):
    """``make run`` with no TELEGRAM_* variables: credentials.yml still loads, channel unconfigured."""
    from rasa.core.run import create_http_input_channels

    from bot.settings import REPO_ROOT

    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_SECRET", raising=False)
    channels = create_http_input_channels(None, str(REPO_ROOT / "credentials.yml"))
    [telegram] = [c for c in channels if isinstance(c, TelegramInput)]
    assert "rest" in [c.name() for c in channels]
    assert telegram.config.base_url == tg.DEFAULT_BASE_URL and not telegram.config.configured


def test_secret_comparison():
    channel = TelegramInput(TelegramConfig(token=TOKEN, secret=SECRET))
    assert channel.secret_ok(SECRET)
    assert not channel.secret_ok(SECRET + "x")
    assert not channel.secret_ok("")
    assert not channel.secret_ok(None)
    assert not channel.secret_ok("護照\ud800")
    assert not TelegramInput(TelegramConfig(token=TOKEN)).secret_ok("")


def test_bot_uses_base_url_and_timeouts():
    channel = TelegramInput(TelegramConfig(token=TOKEN, secret=SECRET, base_url="http://127.0.0.1:9/bot",
                                           timeout=3.5))
    bot = channel.bot
    assert bot.base_url == f"http://127.0.0.1:9/bot{TOKEN}"
    assert bot.request.read_timeout == 3.5
    assert channel.bot is bot


@pytest.mark.parametrize("value, expected", [
    ("zh", "zh"), ("EN", "en"), ("zh-hans", "zh"), ("zh_TW", "zh"), ("en-US", "en"), ("中文", "zh"),
    ("English", "en"), ("fr", None), ("", None), (None, None)])
def test_parse_language(value, expected):
    assert tg.parse_language(value) == expected


@pytest.mark.parametrize("code, expected", [("zh-hans", "zh"), ("zh-hant", "zh"), ("en", "en"),
                                            ("ru", "en"), (None, None)])
def test_language_from_telegram_code(code, expected):
    assert tg.language_from_code(code) == expected


def test_parse_command():
    assert tg.parse_command("/start") == ("start", "")
    assert tg.parse_command("/lang@jiangzhou_test_bot  en ") == ("lang", "en")
    assert tg.parse_command("/LANG zh") == ("lang", "zh")
    assert tg.parse_command('/rate{"rating":"up"}') is None
    assert tg.parse_command("护照怎么办理？") is None


# --------------------------------------------------------------------------- bounded state


def test_callback_payloads_short_and_long():
    payloads = CallbackPayloads(maxsize=2)
    assert payloads.encode("/ask_fee") == "/ask_fee"
    short = payloads.encode(LONG_PAYLOAD)
    assert short.startswith("tg:p:") and len(short.encode()) <= 64
    assert payloads.encode(LONG_PAYLOAD) == short  # stable
    assert payloads.resolve(short) == LONG_PAYLOAD
    assert payloads.resolve("/ask_fee") == "/ask_fee"
    cjk = "公积金提取需要带什么材料？我已经退休了，想一次性提取全部余额"  # < 64 chars, > 64 bytes
    assert len(cjk) < 64 < len(cjk.encode())
    assert payloads.resolve(payloads.encode(cjk)) == cjk
    assert payloads.encode("tg:lang:en").startswith("tg:p:")  # reserved prefix never passes through
    # bounded: the oldest long payload is forgotten
    payloads.encode("/x" + "y" * 100)
    assert len(payloads) == 2
    assert payloads.resolve(short) is None


def test_lru_and_recent_ids_are_bounded():
    lru: LRUDict[int, str] = LRUDict(3)
    for i in range(10):
        lru[i] = str(i)
    assert len(lru) == 3 and lru.get(0) is None and lru.get(9) == "9"
    recent = RecentIds(maxsize=2)
    assert not recent.seen(1) and recent.seen(1)
    recent.seen(2), recent.seen(3)
    assert not recent.seen(1)


# --------------------------------------------------------------------------- updates → Rasa


async def test_text_goes_to_rasa_and_reply_comes_back(channel, bot_api):
    rasa = StubRasa()
    await channel.handle_update(U.text(101, "护照怎么办理？"), rasa)
    [msg] = rasa.messages
    assert (msg.text, msg.sender_id, msg.input_channel, msg.metadata) == \
        ("护照怎么办理？", "telegram-101", "telegram", None)
    assert bot_api.sent_texts(101) == ["echo: 护照怎么办理？"]
    methods = [c.method for c in bot_api.calls(chat_id=101)]
    assert methods == ["sendChatAction", "sendMessage"]  # "typing…" first, then the reply
    send = bot_api.calls("sendMessage", 101)[0]
    assert "parse_mode" not in send.params


async def test_start_greets_in_the_telegram_language(channel, bot_api):
    rasa = StubRasa()
    await channel.handle_update(U.text(102, "/start", language_code="en"), rasa)
    await channel.handle_update(U.text(103, "/start", language_code="zh-hans"), rasa)
    await channel.handle_update(U.text(104, "/start@jiangzhou_test_bot", language_code=None), rasa)
    assert rasa.texts == ['/greet{"language":"en"}', '/greet{"language":"zh"}', "/greet"]
    assert [m.metadata for m in rasa.messages] == [{"language": "en"}, {"language": "zh"}, None]


async def test_lang_switch_is_remembered_and_sent_as_metadata(channel, bot_api):
    rasa = StubRasa()
    await channel.handle_update(U.text(105, "/lang en"), rasa)
    await channel.handle_update(U.text(105, "护照怎么办理？"), rasa)
    await channel.handle_update(U.sticker(105), rasa)
    await channel.handle_update(U.text(105, "/start", language_code="zh-hans"), rasa)
    await channel.handle_update(U.text(106, "护照怎么办理？"), rasa)  # another chat: unaffected
    assert rasa.texts == ['/greet{"language":"en"}', "护照怎么办理？", '/out_of_scope{"language":"en"}',
                          '/greet{"language":"en"}', "护照怎么办理？"]
    assert [m.metadata for m in rasa.messages] == [{"language": "en"}] * 4 + [None]
    await channel.handle_update(U.text(105, "/lang zh"), rasa)
    await channel.handle_update(U.text(105, "How do I apply for a passport?"), rasa)
    assert rasa.messages[-1].metadata == {"language": "zh"}


async def test_lang_without_valid_choice_offers_a_picker(channel, bot_api):
    rasa = StubRasa()
    await channel.handle_update(U.text(107, "/lang"), rasa)
    await channel.handle_update(U.text(107, "/lang klingon"), rasa)
    assert rasa.messages == []
    pickers = bot_api.calls("sendMessage", 107)
    assert len(pickers) == 2
    markup = pickers[0].params["reply_markup"]
    assert [b["callback_data"] for b in markup["inline_keyboard"][0]] == ["tg:lang:zh", "tg:lang:en"]
    # pressing "English" switches, removes the picker's keyboard and greets in English
    await channel.handle_update(U.callback(107, "tg:lang:en", markup, bot_message_id=555), rasa)
    assert rasa.texts == ['/greet{"language":"en"}']
    assert len(bot_api.calls("answerCallbackQuery")) == 1
    [edit] = bot_api.calls("editMessageReplyMarkup", 107)
    assert edit.params["message_id"] == 555 and "reply_markup" not in edit.params
    assert channel.languages.get(107) == "en"


@pytest.mark.parametrize("text, chosen, notice", [
    ("护照怎么办理？", None, "zh"),
    ("how do I get a passport?", None, "en"),
    ("护照怎么办理？", "en", "en"),  # the /lang choice wins over the script
])
async def test_a_chat_over_its_rate_limit_is_dropped_with_one_notice(channel, bot_api, text, chosen, notice):
    from channels.rate_limit import Limits, RateLimiter

    channel.limiter = RateLimiter(Limits(per_sender=3, per_ip=1))  # per_ip must not apply here
    if chosen:
        channel.languages[130] = chosen
    rasa = StubRasa()
    for _ in range(6):
        await channel.handle_update(U.text(130, text), rasa)
    assert rasa.texts == [text] * 3  # the 4th to 6th never reach Rasa
    sent = bot_api.sent_texts(130)
    assert sent.count(tg.channel_texts()["rate_limited"][notice]) == 1  # one notice, not one per message
    assert sent.count(f"echo: {text}") == 3
    await channel.handle_update(U.text(131, text), rasa)  # another chat is not affected
    assert rasa.texts[-1] == text and len(rasa.texts) == 4


async def test_help_asks_what_the_bot_can_do(channel):
    rasa = StubRasa()
    await channel.handle_update(U.text(108, "/help"), rasa)
    assert rasa.texts == ["/what_can_you_do"]


async def test_rasa_payload_typed_by_hand_passes_through(channel):
    rasa = StubRasa()
    await channel.handle_update(U.text(109, '/rate{"rating":"up"}'), rasa)
    assert rasa.texts == ['/rate{"rating":"up"}']


@pytest.mark.parametrize("make", [U.sticker, U.photo, U.voice, U.location, U.document,
                                  lambda c: U.photo(c, caption="护照照片")])
async def test_non_text_gets_the_bots_refusal(channel, bot_api, make):
    rasa = StubRasa(lambda m: [{"text": "抱歉，这个问题超出了我的服务范围"}])
    await channel.handle_update(make(110), rasa)
    assert rasa.texts == ["/out_of_scope"]
    assert bot_api.sent_texts(110) == ["抱歉，这个问题超出了我的服务范围"]


async def test_edited_message_gets_the_refusal(channel):
    rasa = StubRasa()
    await channel.handle_update(U.edited(111, "护照怎么办理？改一下"), rasa)
    assert rasa.texts == ["/out_of_scope"]


async def test_service_messages_and_other_updates_are_ignored(channel, bot_api):
    rasa = StubRasa()
    await channel.handle_update(U.new_member(-100123), rasa)
    await channel.handle_update(U.update(my_chat_member={"chat": U.chat(112), "from": U.user(112),
                                                         "date": 1, "old_chat_member": {
                                                             "status": "member", "user": U.user(1)},
                                                         "new_chat_member": {
                                                             "status": "kicked", "until_date": 0,
                                                             "user": U.user(1)}}), rasa)
    await channel.handle_update(U.update(channel_post={"message_id": 1, "date": 1, "text": "hi",
                                                       "chat": {"id": -1001, "type": "channel",
                                                                "title": "news"}}), rasa)
    assert rasa.messages == [] and bot_api.calls() == []


async def test_redelivered_update_is_processed_once(channel):
    rasa = StubRasa()
    update = U.text(113, "护照怎么办理？")
    await channel.handle_update(update, rasa)
    await channel.handle_update(json.loads(json.dumps(update)), rasa)
    assert len(rasa.messages) == 1


async def test_group_chat_uses_the_chat_as_conversation(channel, bot_api):
    rasa = StubRasa()
    await channel.handle_update(U.text(-100777, "/start@jiangzhou_test_bot", "en"), rasa)
    assert rasa.messages[0].sender_id == "telegram--100777"
    assert bot_api.sent_texts(-100777) == ['echo: /greet{"language":"en"}']


# --------------------------------------------------------------------------- buttons and callbacks


async def test_buttons_become_an_inline_keyboard(channel, bot_api):
    rasa = StubRasa(lambda m: [{"text": "来源：https://www.nia.gov.cn/\n这个回答对您有帮助吗？", "buttons": FOOTER_ZH}])
    await channel.handle_update(U.text(120, "护照怎么办理？"), rasa)
    [send] = bot_api.calls("sendMessage", 120)
    assert send.status == 200
    rows = send.params["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["需要什么材料", "在哪里办"], ["收费", "网上办理"],
                                                          ["👍 有帮助", "👎 没帮助"]]
    assert [b["callback_data"] for row in rows for b in row] == [b["payload"] for b in FOOTER_ZH]
    assert send.params["link_preview_options"] == {"is_disabled": True}


async def test_callback_is_answered_and_its_payload_sent(channel, bot_api):
    rasa = StubRasa()
    markup = {"inline_keyboard": [[{"text": "收费", "callback_data": "/ask_fee"}]]}
    await channel.handle_update(U.callback(121, "/ask_fee", markup), rasa)
    assert rasa.texts == ["/ask_fee"] and rasa.messages[0].sender_id == "telegram-121"
    [answer] = bot_api.calls("answerCallbackQuery")
    assert answer.status == 200 and answer.params["callback_query_id"].startswith("cbq")
    assert bot_api.sent_texts(121) == ["echo: /ask_fee"]


async def test_long_payload_round_trips_through_a_short_id(channel, bot_api):
    buttons = [{"title": "公积金退休提取", "payload": LONG_PAYLOAD}, {"title": "OK", "payload": "/affirm"}]
    rasa = StubRasa(lambda m: [{"text": "您指的是下面哪一项？", "buttons": buttons}] if m.text == "公积金" else [])
    await channel.handle_update(U.text(122, "公积金"), rasa)
    [send] = bot_api.calls("sendMessage", 122)
    assert send.status == 200  # the double rejects callback_data over 64 bytes like Telegram
    markup = send.params["reply_markup"]
    data = markup["inline_keyboard"][0][0]["callback_data"]
    assert data.startswith("tg:p:") and len(data.encode()) <= 64
    await channel.handle_update(U.callback(122, data, markup), rasa)
    assert rasa.texts[-1] == LONG_PAYLOAD


async def test_forgotten_short_id_falls_back_to_the_button_title(channel, bot_api):
    rasa = StubRasa(lambda m: [])
    markup = {"inline_keyboard": [[{"text": "公积金提取要带什么材料？", "callback_data": "tg:p:unknownunknown00"}]]}
    await channel.handle_update(U.callback(123, "tg:p:unknownunknown00", markup), rasa)
    assert rasa.texts == ["公积金提取要带什么材料？"]
    await channel.handle_update(U.callback(123, "tg:p:gone", None), rasa)  # no title either: ignored
    assert len(rasa.messages) == 1
    assert len(bot_api.calls("answerCallbackQuery")) == 2  # the spinner stops either way


async def test_url_buttons_and_odd_buttons(bot_api):
    output = TelegramOutput(tg.make_bot(TelegramConfig(token=TOKEN, base_url=bot_api.base_url)))
    markup = output.keyboard([{"title": "官网", "url": "https://www.gov.cn/"}, {"payload": "/greet"},
                              {"title": "", "payload": ""}, "junk",
                              {"title": "A very long English button title indeed", "payload": "/ask_how"}])
    rows = markup.inline_keyboard
    assert rows[0][0].url == "https://www.gov.cn/"
    assert rows[0][1].text == "/greet"  # no title: the payload is shown
    assert rows[1][0].text.startswith("A very long")  # wide buttons get a row of their own
    assert output.keyboard([]) is None
    many = output.keyboard([{"title": str(i), "payload": f"/p{i}"} for i in range(150)])
    assert sum(len(r) for r in many.inline_keyboard) == 100
    await output.bot.shutdown()


# --------------------------------------------------------------------------- output robustness


async def test_very_long_reply_is_split_and_keyboard_goes_last(channel, bot_api):
    long_text = "\n".join(f"{i}. 居民身份证原件及复印件（需本人到场）" for i in range(600))
    rasa = StubRasa(lambda m: [{"text": long_text, "buttons": FOOTER_ZH[:2]}])
    await channel.handle_update(U.text(130, "护照要带什么？"), rasa)
    sends = bot_api.calls("sendMessage", 130)
    assert len(sends) > 1 and all(s.status == 200 for s in sends)
    assert all(utf16_len(s.params["text"]) <= 4096 for s in sends)
    assert "\n".join(s.params["text"] for s in sends) == long_text
    assert [("reply_markup" in s.params) for s in sends] == [False] * (len(sends) - 1) + [True]


async def test_markup_characters_arrive_verbatim(channel, bot_api):
    tricky = "费用 <b>120元</b> & <i>免费</i> *加急* _x_ [a](b) `c` 1<2 &amp; \\ 😀"
    rasa = StubRasa(lambda m: [{"text": tricky}])
    await channel.handle_update(U.text(131, "费用"), rasa)
    [send] = bot_api.calls("sendMessage", 131)
    assert send.params["text"] == tricky and "parse_mode" not in send.params and send.status == 200


async def test_huge_and_broken_input_never_crashes(channel, bot_api):
    rasa = StubRasa(lambda m: [{"text": m.text}])
    await channel.handle_update(U.text(132, "护" * 50_000), rasa)
    assert len(rasa.messages[-1].text) == 4096
    await channel.handle_update(U.text(132, "护照\ud800怎么办\x00理"), rasa)
    assert rasa.messages[-1].text == "护照\ufffd怎么办理"
    await channel.handle_update(U.text(132, "مرحبا Z̷͎̓a̸̛ͅl̶g̵o 👨‍👩‍👧 𠀀"), rasa)
    await channel.handle_update(U.text(132, "   \n "), rasa)  # blank: nothing to say
    assert len(rasa.messages) == 3


async def test_huge_callback_data_is_capped_like_text(channel, bot_api):
    rasa = StubRasa(lambda m: [{"text": "ok"}])
    await channel.handle_update(U.callback(133, "/ask_fee" + "x" * 50_000), rasa)
    assert len(rasa.messages[-1].text) == MAX_INPUT_CHARS
    assert all(c.status == 200 for c in bot_api.calls())


async def test_keyboard_without_text_still_sends(channel, bot_api):
    rasa = StubRasa(lambda m: [{"text": "", "buttons": FOOTER_ZH[:1]}])
    await channel.handle_update(U.text(133, "x"), rasa)
    [send] = bot_api.calls("sendMessage", 133)
    assert send.status == 200 and send.params["text"].strip()


async def test_api_errors_do_not_abort_the_turn(channel, bot_api, caplog):
    bot_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    rasa = StubRasa(lambda m: [{"text": "第一条"}, {"text": "第二条"}])
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        await channel.handle_update(U.text(134, "你好"), rasa)
    assert [c.status for c in bot_api.calls("sendMessage", 134)] == [403, 200]
    assert bot_api.sent_texts(134) == ["第二条"]
    assert "blocked" in caplog.text and TOKEN not in caplog.text


async def test_short_flood_wait_is_retried_once(channel, bot_api):
    bot_api.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
    rasa = StubRasa(lambda m: [{"text": "稍等"}])
    await channel.handle_update(U.text(135, "你好"), rasa)
    assert [c.status for c in bot_api.calls("sendMessage", 135)] == [429, 200]


async def test_unreachable_api_is_logged_not_raised(caplog):
    channel = TelegramInput(TelegramConfig(token=TOKEN, secret=SECRET, base_url="http://127.0.0.1:9/bot",
                                           timeout=2))
    rasa = StubRasa()
    with caplog.at_level(logging.WARNING, logger="channels.telegram"):
        await channel.handle_update(U.text(136, "你好"), rasa)
    assert rasa.texts == ["你好"]
    assert "failed" in caplog.text
    await channel.close()


async def test_output_channel_for_proactive_messages(channel, bot_api):
    output = channel.get_output_channel()
    assert output.name() == "telegram"
    await output.send_response("telegram-140", {"text": "工作人员回复：请携带身份证。"})
    await output.send_response("141", {"text": "plain id works too"})
    await output.send_response("telegram-140", {"image": "https://example.invalid/a.png"})
    await output.send_response("telegram-140", {"custom": {"text": "自定义"}})
    await output.send_response("telegram-140", {"custom": {"foo": "bar"}})
    assert bot_api.sent_texts(140) == ["工作人员回复：请携带身份证。", "自定义"]
    assert bot_api.sent_texts(141) == ["plain id works too"]
    assert len(bot_api.calls("sendPhoto", 140)) == 1
    await output.send_response("web-visitor-42", {"text": "not a Telegram chat"})  # logged, not raised
    assert not any(c.params.get("text") == "not a Telegram chat" for c in bot_api.calls())


# --------------------------------------------------------------------------- HTTP (Sanic, like rasa run)


class Served:
    def __init__(self, url: str, channel: TelegramInput, rasa: StubRasa) -> None:
        self.url, self.channel, self.rasa = url, channel, rasa

    async def post(self, body: Any, secret: str | None = SECRET, raw: bool = False):
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[tg.SECRET_HEADER] = secret
        data = body if raw else json.dumps(body)
        url = f"{self.url}/webhooks/telegram/webhook"
        async with aiohttp.ClientSession() as session, session.post(url, data=data, headers=headers) as r:
            return r.status, await r.json(content_type=None)


@pytest.fixture
async def serve(bot_api, monkeypatch):
    """``await serve(config, rasa)`` → the channel's blueprint on a Sanic app on loopback."""
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (tests only)
    servers, channels = [], []

    async def start(config: TelegramConfig | None = None, rasa: StubRasa | None = None) -> Served:
        config = config or TelegramConfig(token=TOKEN, secret=SECRET, base_url=bot_api.base_url)
        channel = TelegramInput(config)
        rasa = rasa or StubRasa()
        app = Sanic(f"tg_test_{uuid.uuid4().hex[:8]}", configure_logging=False)
        app.ctx.agent = rasa
        register([channel], app, "/webhooks/")
        port = free_port()  # Sanic takes port=0 for "default" (8000)
        server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
        await server.startup()
        await server.before_start()
        await server.after_start()
        servers.append(server)
        channels.append(channel)
        return Served(f"http://127.0.0.1:{port}", channel, rasa)

    yield start
    for server in servers:
        await server.before_stop()
        await server.close()
        await server.after_stop()
    for channel in channels:
        await channel.close()


@pytest.fixture
async def served(serve):
    return await serve()


async def test_http_good_secret_is_processed(served, bot_api):
    status, body = await served.post(U.text(150, "护照怎么办理？"))
    assert (status, body) == (200, {"ok": True})
    assert served.rasa.texts == ["护照怎么办理？"]
    assert bot_api.sent_texts(150) == ["echo: 护照怎么办理？"]


async def test_http_rate_limit_comes_from_the_settings(serve, bot_api, monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_SENDER", "2")
    served = await serve()
    for i in range(4):
        status, body = await served.post(U.text(152, f"护照怎么办理？{i}"))
        assert (status, body) == (200, {"ok": True})  # Telegram must not redeliver
    assert served.rasa.texts == ["护照怎么办理？0", "护照怎么办理？1"]
    assert bot_api.sent_texts(152)[-1] == tg.channel_texts()["rate_limited"]["zh"]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET[:-1], SECRET + "x"])
async def test_http_bad_or_missing_secret_is_403_and_nothing_happens(served, bot_api, secret):
    status, _ = await served.post(U.text(151, "护照怎么办理？"), secret=secret)
    assert status == 403
    assert served.rasa.messages == [] and bot_api.calls() == []


async def test_http_not_configured_is_503(serve, bot_api, monkeypatch):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    for config in (TelegramConfig(), TelegramConfig(token=TOKEN, base_url=bot_api.base_url)):
        s = await serve(config)
        status, _ = await s.post(U.text(152, "hi"))
        assert status == 503
        async with aiohttp.ClientSession() as session, session.get(f"{s.url}/webhooks/telegram/") as r:
            assert (await r.json())["status"] == "not configured"
        assert s.rasa.messages == []
    assert bot_api.calls() == []


async def test_http_rejects_what_cannot_be_an_update(served):
    assert (await served.post(b"{not json", raw=True))[0] == 400
    assert (await served.post([1, 2, 3]))[0] == 400
    assert (await served.post(b"x" * (tg.MAX_BODY_BYTES + 1), raw=True))[0] == 413
    assert served.rasa.messages == []


async def test_http_error_boundary_logs_and_answers_200(serve, bot_api, caplog):
    def boom(message: UserMessage):
        raise RuntimeError("action server down")

    s = await serve(rasa=StubRasa(boom))
    with caplog.at_level(logging.ERROR, logger="channels.telegram"):
        status, body = await s.post(U.text(153, "护照怎么办理？"))
        assert (status, body) == (200, {"ok": True})
        status, _ = await s.post({"update_id": 1, "message": {"message_id": "x", "chat": "nonsense"}})
        assert status == 200
        status, _ = await s.post({"no_update_id": True})
        assert status == 200
    assert "action server down" in caplog.text and TOKEN not in caplog.text


# --------------------------------------------------------------------------- command line


def test_cli_sets_the_webhook_with_the_secret(bot_api, monkeypatch, capsys):
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET", SECRET)
    url = "https://bot.example.gov.cn/webhooks/telegram/webhook"
    assert tg.main(["--base-url", bot_api.base_url, "set-webhook", url]) == 0
    assert bot_api.webhook == {"url": url, "secret_token": SECRET,
                               "allowed_updates": ["message", "edited_message", "callback_query"]}
    out = capsys.readouterr().out
    assert "@jiangzhou_test_bot" in out and url in out and SECRET not in out and TOKEN not in out
    assert tg.main(["--base-url", bot_api.base_url, "delete-webhook"]) == 0
    assert bot_api.webhook == {"url": ""}


def test_cli_refuses_without_token_or_with_a_bad_secret(bot_api, monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_TOKEN", raising=False)
    assert tg.main(["--base-url", bot_api.base_url, "info"]) == 2
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("TELEGRAM_SECRET", "has spaces!")
    assert tg.main(["--base-url", bot_api.base_url, "set-webhook", "https://x.example/"]) == 2
    monkeypatch.setenv("TELEGRAM_TOKEN", "123:wrong")
    assert tg.main(["--base-url", bot_api.base_url, "info"]) == 1
    assert "123:wrong" not in capsys.readouterr().out


async def test_token_never_reaches_the_logs(channel, bot_api, caplog):
    """httpx logs every request URL (which holds the token) at INFO; the channel masks it."""
    with caplog.at_level(logging.DEBUG):
        await channel.handle_update(U.text(160, "你好"), StubRasa())
        bot_api.fail_next("sendMessage", 400, "Bad Request: chat not found")
        await channel.handle_update(U.text(160, "再来"), StubRasa())
    assert "sendMessage" in caplog.text and "<telegram-token>" in caplog.text
    assert TOKEN not in caplog.text
