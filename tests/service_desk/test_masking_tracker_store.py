"""The masking SQL tracker store: every event stored once, personal data masked."""
import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from service_desk.tracker_store import MaskingSQLTrackerStore


@pytest.fixture
def store(tmp_path):
    return MaskingSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "t.db"))


def stored_rows(store, sender):
    with store.session_scope() as session:
        return [(r.type_name, r.data) for r in store._event_query(session, sender, True).all()]


async def conversation(store, sender):
    """The same saves as Rasa makes: after the message is logged and after the actions ran."""
    tracker = DialogueStateTracker.from_events(sender, [ActionExecuted("action_session_start"), SessionStarted(),
                                                        ActionExecuted("action_listen")])
    await store.save(tracker)
    tracker.update(UserUttered("护照怎么办？", {"name": "ask_how"}))
    await store.save(tracker)
    tracker.update(BotUttered("…"))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    await store.save(tracker)  # nothing new
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted(timestamp=tracker.events[-1].timestamp + 10))
    tracker.update(ActionExecuted("action_listen", timestamp=tracker.events[-1].timestamp + 1))
    await store.save(tracker)
    tracker.update(SlotSet("service", "passport_application", timestamp=tracker.events[-1].timestamp + 1))
    await store.save(tracker)
    return [t for t, _ in stored_rows(store, sender)]


async def test_events_are_stored_exactly_as_rasas_own_store_stores_them(store, tmp_path):
    from rasa.core.tracker_store import SQLTrackerStore

    plain = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "plain.db"))
    ours = await conversation(store, "c1")
    assert ours == await conversation(plain, "c1") and "slot" in ours
    with store.session_scope() as session:
        assert store._stored_since_session_start(session, "c1") == \
            store._event_query(session, "c1", fetch_events_from_all_sessions=False).count()


async def test_personal_data_is_masked_before_it_is_stored(store):
    tracker = DialogueStateTracker.from_events("c2", [ActionExecuted("action_listen")])
    tracker.update(UserUttered("我的身份证号110101199003074514，电话13812345678", {"name": "ask_how"}))
    await store.save(tracker)
    stored = " ".join(data for _, data in stored_rows(store, "c2"))
    assert "110101199003074514" not in stored and "13812345678" not in stored


def test_sqlite_conversations_are_written_ahead_with_a_busy_timeout(store):
    with store.engine.connect() as con:
        assert con.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert con.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


async def test_feedback_comments_and_metadata_are_masked_too(store):
    tracker = DialogueStateTracker.from_events("c3", [ActionExecuted("action_listen")])
    tracker.update(UserUttered("不满意", {"name": "rate"}, metadata={"note": "call 13812345678"}))
    tracker.update(SlotSet("feedback_comment", "我的护照E12345678办了一个月还没好，电话０５７１－８７６５４３２１"))
    await store.save(tracker)
    stored = " ".join(data for _, data in stored_rows(store, "c3"))
    for raw in ("13812345678", "E12345678", "87654321", "８７６５４３２１"):
        assert raw not in stored
    assert "feedback_comment" in stored
