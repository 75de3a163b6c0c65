"""Handoff, feedback and session start: events returned and rows stored."""
import pytest
from rasa_sdk.events import ActionExecuted, ConversationPaused, SessionStarted, SlotSet
from sqlalchemy import select

from actions.feedback import ActionStoreFeedback, ActionStoreRating
from actions.handoff import ActionHandoff
from actions.session import ActionSessionStart
from knowledge_base import db
from service_desk.models import Feedback, HandoffTicket

from .conftest import LANGS


def rows(kb_url, model, sender):
    with db.session_scope(kb_url) as session:
        return session.execute(select(model).filter_by(sender_id=sender)).scalars().all()


@pytest.mark.parametrize("lang", LANGS)
async def test_handoff_opens_a_ticket_with_a_masked_transcript_and_pauses(
        kb, kb_url, dispatcher, domain, make_tracker, lang):
    sender = f"handoff-{lang}"
    events = [{"event": "user", "text": "我的身份证号是11010519491231002X，手机13812345678"},
              {"event": "bot", "text": "抱歉，我没能理解。"}]
    tracker = make_tracker("转人工", intent="human_handoff", slots={"language": lang, "service": "passport_application"},
                           events=events, sender=sender)
    result = await ActionHandoff().run(dispatcher, tracker, domain)
    assert result == [ConversationPaused()]
    (ticket,) = rows(kb_url, HandoffTicket, sender)
    assert ticket.status == "open" and ticket.language == lang and ticket.service == "passport_application"
    text = ticket.transcript[0]["text"]
    assert "11010519491231002X" not in text and "13812345678" not in text
    assert "138****5678" in text
    assert dispatcher.messages[0]["response"] == "reply_handoff_opened"
    assert dispatcher.messages[0]["ticket"] == ticket.id


@pytest.mark.parametrize("lang", LANGS)
async def test_a_second_handoff_request_joins_the_open_ticket(kb, kb_url, domain, make_tracker, lang):
    from rasa_sdk.executor import CollectingDispatcher

    sender = f"handoff-twice-{lang}"
    first, second = CollectingDispatcher(), CollectingDispatcher()
    tracker = make_tracker("转人工", intent="human_handoff", slots={"language": lang}, sender=sender,
                           events=[{"event": "user", "text": "转人工"}])
    assert await ActionHandoff().run(first, tracker, domain) == [ConversationPaused()]
    again = make_tracker("还是要人工，我的电话13812345678", intent="human_handoff", slots={"language": lang},
                         sender=sender, events=[{"event": "user", "text": "转人工"},
                                                {"event": "user", "text": "还是要人工，我的电话13812345678"}])
    assert await ActionHandoff().run(second, again, domain) == [ConversationPaused()]
    (ticket,) = rows(kb_url, HandoffTicket, sender)
    assert first.messages[0]["response"] == "reply_handoff_opened"
    assert second.messages == [{**second.messages[0], "response": "reply_handoff_already_open", "ticket": ticket.id}]
    assert [t["text"] for t in ticket.transcript] == ["转人工", "还是要人工，我的电话138****5678"]

    from bot.nlg import action_responses

    variants = action_responses()["reply_handoff_already_open"]
    chosen = next(v for v in variants if (v.get("condition") or [{}])[0].get("value") == lang) \
        if lang == "zh" else next(v for v in variants if not v.get("condition"))
    assert "{ticket}" in chosen["text"] and ("工作人员" in chosen["text"]) == (lang == "zh")


@pytest.mark.parametrize("rating,response", [("up", "reply_rating_thanks"), ("down", None)])
async def test_rating_is_stored_with_service_aspect_language(kb, kb_url, dispatcher, domain, make_tracker,
                                                             rating, response):
    sender = f"rate-{rating}"
    tracker = make_tracker("/rate", intent="rate", sender=sender,
                           slots={"language": "en", "service": "marriage_registration", "aspect": "where"},
                           entities=[{"entity": "rating", "value": rating}])
    events = await ActionStoreRating().run(dispatcher, tracker, domain)
    assert events == [SlotSet("rating", rating)]
    assert [m["response"] for m in dispatcher.messages] == ([response] if response else [])
    (row,) = rows(kb_url, Feedback, sender)
    assert (row.service, row.aspect, row.language, row.rating) == ("marriage_registration", "where", "en", rating)


async def test_feedback_comment_is_stored_masked(kb, kb_url, dispatcher, domain, make_tracker):
    sender = "comment-1"
    tracker = make_tracker("地址不对，请联系我 13900001111", intent="feedback", sender=sender,
                           slots={"rating": "down", "service": "legal_aid"})
    events = await ActionStoreFeedback().run(dispatcher, tracker, domain)
    assert SlotSet("rating", None) in events
    assert SlotSet("service", "legal_aid") in events
    (row,) = rows(kb_url, Feedback, sender)
    assert row.rating == "down" and row.comment == "地址不对，请联系我 139****1111"


async def test_session_start_carries_language_script_and_district(dispatcher, domain, make_tracker):
    tracker = make_tracker(slots={"language": "en", "district": "hubin", "service": "legal_aid"})
    events = await ActionSessionStart().run(dispatcher, tracker, domain)
    assert events[0] == SessionStarted()
    assert SlotSet("language", "en") in events and SlotSet("district", "hubin") in events
    assert not any(e.get("name") == "service" for e in events if e.get("event") == "slot")
    assert events[-1] == ActionExecuted("action_listen")


async def test_a_new_session_keeps_a_handed_over_conversation_with_staff(dispatcher, domain):
    from rasa_sdk import Tracker
    from rasa_sdk.events import ConversationPaused

    slots = {"language": "en", "staff_message": {"text": "Hello"}}
    paused = Tracker("web-1", slots, {}, [], True, None, {}, "action_listen")
    events = await ActionSessionStart().run(dispatcher, paused, domain)
    assert ConversationPaused() in events and SlotSet("staff_message", {"text": "Hello"}) in events
    running = Tracker("web-2", {"language": "en"}, {}, [], False, None, {}, "action_listen")
    assert ConversationPaused() not in await ActionSessionStart().run(dispatcher, running, domain)
