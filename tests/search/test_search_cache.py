"""get_searcher: built from the repository, rebuilt when the content version changes."""
from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest

import knowledge_base
from knowledge_base import search

from .conftest import FAQS, SERVICES


@dataclass(frozen=True)
class Bilingual:
    zh: str
    en: str


@dataclass(frozen=True)
class BilingualList:
    zh: tuple
    en: tuple


@dataclass(frozen=True)
class Service:
    id: str
    name: Bilingual
    aliases: BilingualList
    category: str
    summary: Bilingual


@dataclass(frozen=True)
class Faq:
    id: str
    service_id: str | None
    tags: tuple
    questions: BilingualList
    answer: Bilingual


def _service(d: dict) -> Service:
    return Service(d["id"], Bilingual(**d["name"]),
                   BilingualList(tuple(d["aliases"]["zh"]), tuple(d["aliases"]["en"])),
                   d["category"], Bilingual(**d["summary"]))


def _faq(d: dict) -> Faq:
    return Faq(d["id"], d["service"], tuple(d["tags"]),
               BilingualList(tuple(d["questions"]["zh"]), tuple(d["questions"]["en"])), Bilingual(**d["answer"]))


class FakeSession:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def fake_repository(monkeypatch):
    state = {"version": 1, "services": [_service(s) for s in SERVICES], "builds": 0}

    def list_services(session):
        state["builds"] += 1
        return list(state["services"])

    repo = types.ModuleType("knowledge_base.repository")
    repo.content_version = lambda session: state["version"]
    repo.list_services = list_services
    repo.list_faqs = lambda session: [_faq(f) for f in FAQS]
    monkeypatch.setitem(sys.modules, "knowledge_base.repository", repo)
    monkeypatch.setattr(knowledge_base, "repository", repo, raising=False)
    search.clear_searcher_cache()
    yield state
    search.clear_searcher_cache()


def test_get_searcher_caches_per_content_version(fake_repository):
    factory = FakeSession
    first = search.get_searcher(factory)
    assert first.search("港澳通行证")[0].id == "hk_macau_permit"
    assert search.get_searcher(factory) is first
    assert fake_repository["builds"] == 1

    fake_repository["services"].append(_service({
        "id": "notarization", "name": {"zh": "公证办理", "en": "Notarisation"},
        "aliases": {"zh": ["公证", "办公证"], "en": ["notary"]}, "category": "justice",
        "summary": {"zh": "公证处办理。", "en": "At the notary office."},
    }))
    fake_repository["version"] = 2
    second = search.get_searcher(factory)
    assert second is not first and fake_repository["builds"] == 2
    assert second.search("我要办公证")[0].id == "notarization"


def test_faq_service_id_field_is_understood(fake_repository):
    hits = search.get_searcher(FakeSession).search("办护照要自己带照片吗")
    faq = next(h for h in hits if h.kind == "faq")
    assert faq.service_id == "passport_application"
