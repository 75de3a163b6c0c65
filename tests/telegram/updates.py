"""Telegram update JSON as the Bot API delivers it to a webhook (https://core.telegram.org/bots/api#update)."""
from __future__ import annotations

import itertools
import time
from typing import Any

_update_ids = itertools.count(500_000_000)
_message_ids = itertools.count(1)


def user(chat_id: int, language_code: str | None = "zh-hans") -> dict[str, Any]:
    u = {"id": abs(chat_id), "is_bot": False, "first_name": "小明", "last_name": "王", "username": f"u{abs(chat_id)}"}
    if language_code:
        u["language_code"] = language_code
    return u


def chat(chat_id: int) -> dict[str, Any]:
    if chat_id > 0:
        return {"id": chat_id, "first_name": "小明", "last_name": "王", "username": f"u{chat_id}", "type": "private"}
    return {"id": chat_id, "title": "办事群", "type": "supergroup"}


def message(chat_id: int, language_code: str | None = "zh-hans", **content: Any) -> dict[str, Any]:
    return {"message_id": next(_message_ids), "from": user(chat_id, language_code), "chat": chat(chat_id),
            "date": int(time.time()), **content}


def update(**kinds: Any) -> dict[str, Any]:
    return {"update_id": next(_update_ids), **kinds}


def command_entities(text: str) -> list[dict[str, Any]]:
    if not text.startswith("/"):
        return []
    return [{"offset": 0, "length": len(text.split()[0]), "type": "bot_command"}]


def text(chat_id: int, body: str, language_code: str | None = "zh-hans") -> dict[str, Any]:
    content: dict[str, Any] = {"text": body}
    entities = command_entities(body)
    if entities:
        content["entities"] = entities
    return update(message=message(chat_id, language_code, **content))


def sticker(chat_id: int, language_code: str | None = "zh-hans") -> dict[str, Any]:
    return update(message=message(chat_id, language_code, sticker={
        "file_id": "CAACAgIAAxkBAAIBY2ZsticKer", "file_unique_id": "AgADsticker", "type": "regular",
        "width": 512, "height": 512, "is_animated": False, "is_video": False, "emoji": "👍",
        "set_name": "HotCherry", "file_size": 25_000,
        "thumbnail": {"file_id": "AAMCAgthumb", "file_unique_id": "AQADthumb", "width": 128, "height": 128,
                      "file_size": 5_000}}))


def photo(chat_id: int, caption: str | None = None, language_code: str | None = "zh-hans") -> dict[str, Any]:
    sizes = [{"file_id": f"AgACAgUAAxkBphoto{w}", "file_unique_id": f"AQADphoto{w}", "width": w,
              "height": w * 3 // 4, "file_size": w * 100} for w in (90, 320, 1280)]
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return update(message=message(chat_id, language_code, **content))


def voice(chat_id: int) -> dict[str, Any]:
    return update(message=message(chat_id, voice={"file_id": "AwACAgvoice", "file_unique_id": "AgADvoice",
                                                  "duration": 3, "mime_type": "audio/ogg", "file_size": 9000}))


def location(chat_id: int) -> dict[str, Any]:
    return update(message=message(chat_id, location={"latitude": 30.2741, "longitude": 120.1551}))


def document(chat_id: int) -> dict[str, Any]:
    return update(message=message(chat_id, document={"file_name": "申请表.pdf", "mime_type": "application/pdf",
                                                     "file_id": "BQACAgdoc", "file_unique_id": "AgADdoc",
                                                     "file_size": 120_000}))


def edited(chat_id: int, body: str) -> dict[str, Any]:
    msg = message(chat_id, text=body)
    msg["edit_date"] = msg["date"] + 5
    return update(edited_message=msg)


def new_member(chat_id: int) -> dict[str, Any]:
    return update(message=message(chat_id, new_chat_members=[user(4242, "en")]))


def callback(chat_id: int, data: str, markup: dict[str, Any] | None = None, bot_message_id: int = 77,
             language_code: str | None = "zh-hans") -> dict[str, Any]:
    bot_message: dict[str, Any] = {
        "message_id": bot_message_id, "chat": chat(chat_id), "date": int(time.time()) - 10, "text": "…",
        "from": {"id": 7000000001, "is_bot": True, "first_name": "Jiangzhou Services (test)",
                 "username": "jiangzhou_test_bot"}}
    if markup is not None:
        bot_message["reply_markup"] = markup
    return update(callback_query={"id": f"cbq{next(_update_ids)}", "from": user(chat_id, language_code),
                                  "message": bot_message, "chat_instance": "-5829473465423", "data": data})
