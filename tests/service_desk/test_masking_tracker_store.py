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


async def test_every_event_is_stored_once_across_saves_and_sessions(store):
    """A tracker kept across saves and a new session: each event once, in order (Rasa's own store
    counts the stored events of the latest session and writes the earlier ones again here; in a
    real turn the tracker is retrieved first: see the next test)."""
    ours = await conversation(store, "c1")
    assert ours == ["action", "session_started", "action", "user", "bot", "action",
                    "action", "session_started", "action", "slot"]
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


async def turns_by_retrieval(store, sender):
    """Turns as Rasa takes them: retrieve the latest session, add the turn's events, save."""
    for i, text in enumerate(["护照怎么办？", "要多少钱？", "在哪里办？"]):
        tracker = await store.get_or_create_tracker(sender)  # (the first turn's is new)
        tracker.update(UserUttered(text, {"name": "ask_how"}))
        await store.save(tracker)  # the message logged
        tracker.update(BotUttered(f"answer {i}"))
        tracker.update(SlotSet("service", "passport_application"))
        tracker.update(ActionExecuted("action_listen"))
        await store.save(tracker)  # after the actions
    return [t for t, _ in stored_rows(store, sender)]


async def test_a_retrieved_tracker_saves_its_new_events_without_counting_them(tmp_path, monkeypatch):
    """A turn's saves know from the retrieved tracker how many events are stored: the rows are
    those Rasa's own store writes, and the count query never runs (a new tracker has none stored)."""
    from rasa.core.tracker_store import SQLTrackerStore

    domain = Domain.from_dict({"slots": {"service": {"type": "text", "mappings": [{"type": "custom"}]}}})
    ours = MaskingSQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "ours.db"))
    counted = []
    original = MaskingSQLTrackerStore._stored_since_session_start
    monkeypatch.setattr(MaskingSQLTrackerStore, "_stored_since_session_start",
                        lambda self, session, sender: counted.append(sender) or original(self, session, sender))
    plain = SQLTrackerStore(domain, dialect="sqlite", db=str(tmp_path / "plain.db"))
    rows = await turns_by_retrieval(ours, "c2")
    assert rows == await turns_by_retrieval(plain, "c2")
    assert rows.count("user") == 3 and rows.count("bot") == 3
    assert counted == []
    # a tracker that did not come from this store (a full tracker of the HTTP API) is counted
    full = DialogueStateTracker.from_events("c2", [e for e in (await ours.retrieve_full_tracker("c2")).events])
    full.update(BotUttered("staff reply"))
    await ours.save(full)
    assert counted == ["c2"] and [t for t, _ in stored_rows(ours, "c2")].count("bot") == 4


@pytest.mark.postgres
@pytest.mark.parametrize("setting, expected", [(None, "off"), ("on", "on")])
async def test_postgresql_turns_commit_without_waiting_for_the_disk_unless_asked(pg_server, monkeypatch,
                                                                                setting, expected):
    from sqlalchemy.engine import make_url

    url = make_url(pg_server())
    if setting is None:
        monkeypatch.delenv("TRACKER_SYNCHRONOUS_COMMIT", raising=False)
    else:
        monkeypatch.setenv("TRACKER_SYNCHRONOUS_COMMIT", setting)
    store = MaskingSQLTrackerStore(Domain.empty(), dialect="postgresql", host=url.host, port=url.port,
                                   db=url.database, username=url.username)
    try:
        with store.engine.connect() as con:
            assert con.exec_driver_sql("SHOW synchronous_commit").scalar() == expected
        stored = await conversation(store, "pg1")
        assert stored.count("user") == 1 and stored.count("slot") == 1  # the turns are stored all the same
    finally:
        store.engine.dispose()


async def test_the_rows_carry_rasas_columns(store):
    await conversation(store, "c3")
    with store.session_scope() as session:
        rows = store._event_query(session, "c3", True).all()
    by_type = {r.type_name: r for r in rows}
    assert by_type["user"].intent_name == "ask_how"
    assert by_type["action"].action_name in ("action_session_start", "action_listen")
    assert all(r.sender_id == "c3" and r.timestamp for r in rows)
    assert [r.id for r in rows] == sorted(r.id for r in rows)


async def test_a_new_conversation_is_stored_without_counting_its_events(store, monkeypatch):
    def no_count(*args):
        raise AssertionError("counted in the database")

    monkeypatch.setattr(store, "_stored_since_session_start", no_count)
    tracker = await store.get_or_create_tracker("new1")
    tracker.update(UserUttered("护照怎么办？", {"name": "ask_how"}))
    await store.save(tracker)
    assert [t for t, _ in stored_rows(store, "new1")] == ["action", "user"]


async def test_a_new_conversation_is_written_with_its_first_turn_only(store):
    tracker = await store.get_or_create_tracker("new2")
    assert stored_rows(store, "new2") == []  # nothing written before the turn's own save
    assert [e.type_name for e in tracker.events] == ["action"]
    tracker.update(UserUttered("社保卡怎么补办", {"name": "ask_how"}))
    await store.save(tracker)
    assert [t for t, _ in stored_rows(store, "new2")] == ["action", "user"]
    again = await store.get_or_create_tracker("new2")
    assert [e.type_name for e in again.events] == ["action", "user"]
