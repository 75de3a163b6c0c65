"""The live knowledge base is read once per refresh interval, not on every message."""
from sqlalchemy import event

from knowledge_base import repository
from knowledge_base.access import KnowledgeBaseAccess
from knowledge_base.models import Service as ServiceModel


def count_queries(kb: KnowledgeBaseAccess) -> list:
    statements: list = []
    event.listen(kb._engine, "before_cursor_execute", lambda *a, **k: statements.append(a[2]))
    return statements


def add_alias(kb: KnowledgeBaseAccess, alias: str) -> None:
    with kb.session() as session:
        record = session.get(ServiceModel, "legal_aid").to_dict()
        record["aliases"] = {"zh": [*record["aliases"]["zh"], alias], "en": list(record["aliases"]["en"])}
        assert repository.upsert_service(session, record, "test") == "update"
        session.commit()


def test_searches_within_the_interval_read_nothing_from_the_database(kb_url):
    kb = KnowledgeBaseAccess(kb_url, refresh_seconds=60)
    kb.search("护照怎么办")
    statements = count_queries(kb)
    for text in ["身份证丢了", "how do I get a passport", "公积金提取"]:
        assert kb.search(text)
    assert statements == []


def test_a_staff_edit_is_seen_after_the_interval(kb_url, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr("knowledge_base.access.time.monotonic", lambda: clock[0])
    kb = KnowledgeBaseAccess(kb_url, refresh_seconds=1.0)
    before = kb.content_version()
    add_alias(kb, "免费律师打官司找谁帮忙")
    assert kb.content_version() == before  # within the interval: the version read last
    clock[0] += 1.01
    assert kb.content_version() > before
    assert kb.rank_services("免费律师打官司找谁帮忙")[0][0] == "legal_aid"


def test_zero_interval_reads_every_time(kb_url):
    kb = KnowledgeBaseAccess(kb_url)
    before = kb.content_version()
    add_alias(kb, "打官司没钱请律师怎么办")
    assert kb.content_version() > before


def test_a_service_is_read_once_until_staff_change_the_content(kb_url):
    kb = KnowledgeBaseAccess(kb_url)
    assert kb.service("legal_aid").id == "legal_aid"
    assert kb.service("no_such_service") is None
    statements = count_queries(kb)
    kb.service("legal_aid")
    kb.service("no_such_service")
    assert not any("services" in s for s in statements)  # only the content version was read
    add_alias(kb, "请不起律师找哪里")
    assert "请不起律师找哪里" in kb.service("legal_aid").aliases.zh  # the edit, not the kept copy
