"""The shipped content (knowledge_base/content) against the service catalogue."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge_base import db, loader
from knowledge_base import repository as repo

CONTENT = Path(__file__).resolve().parents[2] / "knowledge_base" / "content"
AREAS = ("exit_entry", "household", "traffic", "social_security", "housing", "market_tax", "civil_affairs")
MISSING = [f"services/{a}.yml" for a in AREAS if not (CONTENT / "services" / f"{a}.yml").is_file()]
MISSING += [f for f in ("calendar.yml", "departments.yml", "offices.yml") if not (CONTENT / f).is_file()]
CATALOGUE = loader.load_catalogue()

needs_content = pytest.mark.skipif(bool(MISSING), reason=f"content not written yet: {', '.join(MISSING)}")
needs_catalogue = pytest.mark.skipif(CATALOGUE is None, reason=f"no catalogue at {loader.default_catalogue_path()}")


def _filled(value) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value) and all(_filled(v) for v in value)


@needs_content
def test_shipped_content_validates():
    issues = loader.validate(loader.load_path(CONTENT))
    errors = [str(i) for i in issues if i.is_error]
    assert errors == [], "\n".join(errors)


@needs_content
@needs_catalogue
def test_every_catalogue_service_complete_in_both_languages(engine, tmp_path):
    # Services and what they refer to (FAQs are checked by the test above).
    subset = tmp_path / "content"
    subset.mkdir()
    for rel in ("calendar.yml", "departments.yml", "offices.yml", "services"):
        src = CONTENT / rel
        (shutil.copytree if src.is_dir() else shutil.copy)(src, subset / rel)
    with db.session_scope(engine) as s:
        report = repo.import_content(s, loader.load_path(subset), "test")
        assert report.ok, "\n".join(str(i) for i in report.issues if i.is_error)
    problems = []
    with db.session_scope(engine) as s:
        for sid in CATALOGUE:
            svc = repo.get_service(s, sid)
            if svc is None:
                problems.append(f"{sid}: missing")
                continue
            for lang in ("zh", "en"):
                for name in ("name", "summary", "eligibility", "fee", "processing_time"):
                    if not _filled(getattr(svc, name).get(lang)):
                        problems.append(f"{sid}: {name}.{lang} empty")
                for name in ("aliases", "materials", "steps"):
                    if not _filled(getattr(svc, name).get(lang)):
                        problems.append(f"{sid}: {name}.{lang} empty")
                if not _filled(svc.online.text.get(lang)):
                    problems.append(f"{sid}: online.{lang} empty")
            if not (svc.category and svc.source_url and svc.last_verified and svc.office_ids):
                problems.append(f"{sid}: category/source_url/last_verified/offices missing")
            dept = repo.get_department(s, svc.department_id)
            if dept is None or not (_filled(dept.name.zh) and _filled(dept.name.en) and dept.phone):
                problems.append(f"{sid}: department {svc.department_id} incomplete")
            for office in repo.offices_for_service(s, sid):
                if not all(_filled(x) for x in (office.name.zh, office.name.en, office.address.zh, office.address.en)):
                    problems.append(f"{sid}: office {office.id} incomplete")
        assert len(repo.list_services(s)) >= len(CATALOGUE)
    assert problems == [], "\n".join(problems)
