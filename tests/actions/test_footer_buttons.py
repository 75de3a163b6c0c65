"""The footer's buttons: the next aspects (not the one just answered) and the rating, built by the
action; through Rasa's own path they are the footer's only buttons and Traditional users get them
in Traditional characters."""
import json

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from actions.service_answer import ASPECT_INTENTS, ActionAnswerService
from bot.nlg import BilingualNLG
from knowledge_base.text import to_traditional

from .conftest import LANGS, ROOT

RATING = ['/rate{"rating":"up"}', '/rate{"rating":"down"}']


async def footer_after(dispatcher, make_tracker, domain, aspect, lang, service="passport_application"):
    tracker = make_tracker("/", intent=f"ask_{aspect}", slots={"language": lang, "service": service})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    footer = dispatcher.messages[-1]
    assert footer["response"] == "reply_service_footer"
    return footer


def payloads(message):
    return [b["payload"] for b in message["buttons"]]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("aspect,expected", [
    ("fee", ["/ask_materials", "/ask_where", "/ask_online", "/ask_how"]),
    ("materials", ["/ask_where", "/ask_fee", "/ask_online", "/ask_how"]),
    ("how", ["/ask_materials", "/ask_where", "/ask_fee", "/ask_online"]),
    ("overview", ["/ask_materials", "/ask_where", "/ask_fee", "/ask_online"]),
])
async def test_footer_leaves_out_the_aspect_just_answered(kb, dispatcher, domain, make_tracker, lang, aspect,
                                                          expected):
    footer = await footer_after(dispatcher, make_tracker, domain, aspect, lang)
    assert payloads(footer) == expected + RATING
    titles = [b["title"] for b in footer["buttons"]]
    assert all(titles) and len(set(titles)) == len(titles)


@pytest.mark.parametrize("aspect", sorted(set(ASPECT_INTENTS.values())))
async def test_every_answer_has_four_aspect_buttons_and_the_rating(kb, dispatcher, domain, make_tracker, aspect):
    footer = await footer_after(dispatcher, make_tracker, domain, aspect, "en")
    aspects = [p for p in payloads(footer) if p.startswith("/ask_")]
    assert len(aspects) == 4 and f"/ask_{aspect}" not in aspects
    assert payloads(footer)[4:] == RATING


async def test_button_titles_are_in_the_citizens_language(kb, make_tracker, domain):
    from rasa_sdk.executor import CollectingDispatcher

    zh, en = CollectingDispatcher(), CollectingDispatcher()
    zh_titles = [b["title"] for b in (await footer_after(zh, make_tracker, domain, "fee", "zh"))["buttons"]]
    en_titles = [b["title"] for b in (await footer_after(en, make_tracker, domain, "fee", "en"))["buttons"]]
    assert zh_titles != en_titles
    assert all(t.isascii() for t in en_titles[:4])


# Through Rasa's handling of a custom action's messages (RemoteAction._utter_responses) and our NLG.

@pytest.fixture(scope="module")
def rasa_domain() -> Domain:
    return Domain.load(str(ROOT / "bot" / "domain"))


async def rasa_messages(dispatcher, rasa_domain, lang, script):
    tracker = DialogueStateTracker.from_events(
        "test-user", [SlotSet("language", lang), SlotSet("script", script)], slots=rasa_domain.slots)
    responses = json.loads(json.dumps(dispatcher.messages))  # as the action server sends them
    uttered = await RemoteAction._utter_responses(responses, CollectingOutputChannel(),
                                                  BilingualNLG(domain=rasa_domain), tracker)
    return [{"text": u.text, "buttons": u.data.get("buttons") or []} for u in uttered]


@pytest.mark.parametrize("lang,script", [("zh", "simplified"), ("zh", "traditional"), ("en", "simplified")])
async def test_the_footer_has_only_the_action_buttons_and_traditional_titles(
        kb, dispatcher, domain, make_tracker, rasa_domain, lang, script):
    sdk_footer = await footer_after(dispatcher, make_tracker, domain, "fee", lang)
    expected = [dict(b) for b in sdk_footer["buttons"]]
    footer = (await rasa_messages(dispatcher, rasa_domain, lang, script))[-1]

    assert [b["payload"] for b in footer["buttons"]] == [b["payload"] for b in expected]  # nothing appended
    titles = [b["title"] for b in footer["buttons"]]
    if script == "traditional":
        assert titles == [to_traditional(b["title"]) for b in expected]
        assert titles != [b["title"] for b in expected]  # e.g. 在哪里办 → 在哪裡辦
    else:
        assert titles == [b["title"] for b in expected]


async def test_district_buttons_are_traditional_for_traditional_users(
        kb, dispatcher, domain, make_tracker, rasa_domain, freeze_time):
    freeze_time(2026, 11, 25, 10, 0)
    tracker = make_tracker("/", intent="ask_where", slots={"service": "passport_application"})
    await ActionAnswerService().run(dispatcher, tracker, domain)
    narrow = next(m for m in dispatcher.messages if m["response"] == "reply_narrow_by_district")
    simplified = [b["title"] for b in narrow["buttons"]]

    uttered = await rasa_messages(dispatcher, rasa_domain, "zh", "traditional")
    district_msg = next(u for u in uttered if any(b["payload"].startswith("/inform_district") for b in u["buttons"]))
    assert [b["title"] for b in district_msg["buttons"]] == [to_traditional(t) for t in simplified]
    assert district_msg["text"] == to_traditional(district_msg["text"])
