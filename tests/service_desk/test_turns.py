"""Turn summaries: one row per citizen message with its service, language and outcome."""
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from service_desk.models import ConversationTurn
from service_desk.tracker_store import MaskingSQLTrackerStore
from service_desk.turns import local_day, outcome_of, summarise


@pytest.mark.parametrize("responses, outcome", [
    (["reply_service_materials", "reply_service_footer"], "answered"),
    (["utter_out_of_scope"], "refused"),
    (["reply_fallback_suggest"], "fallback"),
    (["reply_fallback_suggest", "reply_handoff_opened"], "handoff"),
    (["utter_smalltalk_joke"], "smalltalk"),
    (["reply_clarify_service"], "clarified"),
    (["reply_clarify_topic"], "clarified"),
    ([], "other"),
])
def test_outcome_follows_the_responses_sent(responses, outcome):
    assert outcome_of(responses) == outcome


def _bot(name, **extra):
    return {"event": "bot", "text": "…", "metadata": {"utter_action": name, **extra}}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_batch_of_events_becomes_one_fact_per_user_message(language):
    events = [
        {"event": "session_started"},
        {"event": "user", "text": "passport?", "timestamp": 1_700_000_000.0, "input_channel": "webchat",
         "parse_data": {"intent": {"name": "ask_materials"}}},
        {"event": "slot", "name": "language", "value": language},
        {"event": "slot", "name": "service", "value": "passport_application"},
        {"event": "slot", "name": "aspect", "value": "materials"},
        _bot("reply_service_materials"),
        {"event": "user", "text": "can I buy a sofa", "timestamp": 1_700_000_060.0,
         "parse_data": {"intent": {"name": "out_of_scope"}}},
        _bot("utter_out_of_scope"),
        _bot("utter_staff_joined", pushed=True),  # sent by staff: not the bot's answer
    ]
    first, second = summarise(events, "s1", channel="rest", tz="Asia/Shanghai")
    assert (first.service, first.aspect, first.outcome, first.language, first.channel, first.intent) == \
        ("passport_application", "materials", "answered", language, "webchat", "ask_materials")
    assert first.opens_session and not second.opens_session
    assert (second.service, second.outcome, second.channel, second.language) == (None, "refused", "rest", language)
    assert first.day == local_day(1_700_000_000.0, "Asia/Shanghai") == "2023-11-15"


def test_a_follow_up_answer_takes_the_service_already_in_the_conversation():
    events = [{"event": "user", "text": "and the fee?", "timestamp": 1.0}, _bot("reply_service_fee")]
    (fact,) = summarise(events, "s", current={"service": "passport_application", "aspect": "fee"})
    assert (fact.service, fact.aspect, fact.outcome) == ("passport_application", "fee", "answered")


async def test_the_tracker_store_writes_masked_turns_with_the_events(tmp_path):
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))
    tracker = DialogueStateTracker.from_events("c1", [ActionExecuted("action_session_start"), SessionStarted(),
                                                      ActionExecuted("action_listen")])
    tracker.update(UserUttered("我的电话13812345678，护照要带什么", {"name": "ask_materials"}, input_channel="webchat"))
    tracker.update(SlotSet("service", "passport_application"))
    tracker.update(BotUttered("…", metadata={"utter_action": "reply_service_materials"}))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    await store.save(tracker)  # nothing new: no second row
    tracker.update(UserUttered("帮我订酒店", {"name": "out_of_scope"}, input_channel="webchat"))
    tracker.update(BotUttered("…", metadata={"utter_action": "utter_out_of_scope"}))
    await store.save(tracker)
    with store.session_scope() as session:
        rows = session.query(ConversationTurn).order_by(ConversationTurn.id).all()
        facts = [(r.sender_id, r.channel, r.service, r.outcome, r.opens_session) for r in rows]
        texts = [r.text for r in rows]
    assert facts == [("c1", "webchat", "passport_application", "answered", True),
                     ("c1", "webchat", None, "refused", False)]
    assert "13812345678" not in texts[0] and "护照要带什么" in texts[0]


def test_replicas_starting_together_both_get_the_summary_tables(tmp_path, monkeypatch):
    """The loser of a CREATE TABLE race (two replicas on PostgreSQL) looks again instead of failing."""
    import sqlalchemy as sa

    from service_desk import tracker_store
    from service_desk.models import TurnBase

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'race.db'}")
    real = TurnBase.metadata.create_all
    calls = []

    def racing(bind, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            real(bind)  # the other replica wins ...
            raise sa.exc.ProgrammingError("CREATE TABLE conversation_turns", {}, Exception("duplicate"))
        return real(bind, *args, **kwargs)

    monkeypatch.setattr(TurnBase.metadata, "create_all", racing)
    tracker_store._create_turn_tables(engine)
    assert len(calls) == 2 and sa.inspect(engine).has_table("conversation_turns")
