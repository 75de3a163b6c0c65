"""python -m knowledge_base.eval_search on a tiny content directory and TSV."""
from __future__ import annotations

import yaml

from knowledge_base import eval_search

from .conftest import FAQS, SERVICES


def _content(tmp_path):
    (tmp_path / "services").mkdir(parents=True)
    (tmp_path / "faqs").mkdir()
    (tmp_path / "services" / "all.yml").write_text(
        yaml.safe_dump({"services": SERVICES}, allow_unicode=True), encoding="utf-8")
    (tmp_path / "faqs" / "all.yml").write_text(
        yaml.safe_dump({"faqs": FAQS}, allow_unicode=True), encoding="utf-8")
    (tmp_path / "faqs" / "broken.yml").write_text("faqs: [unclosed", encoding="utf-8")
    return tmp_path


def test_eval_reports_accuracy_per_language(tmp_path, capsys):
    content = _content(tmp_path / "content")
    tsv = tmp_path / "messages.tsv"
    tsv.write_text(
        "case\tlang\ttext\tservice\taspect\n"
        "z1\tzh\t我想办护照\tpassport_application\toverview\n"
        "z2\tzh\t港澳通行证在哪办\thk_macau_permit\twhere\n"
        "t1\tzh-Hant\t護照過期了怎麼換\tpassport_renewal\thow\n"
        "e1\ten\trenewing passports\tpassport_renewal\thow\n"
        "e2\ten\tI lost my ID card\tid_card_application\toverview\n"
        "m1\tmixed\t我想办 passport\tpassport_application\toverview\n"
        "o1\ten\twhat's the weather\tOOS\t-\n",
        encoding="utf-8",
    )
    code = eval_search.main([str(tsv), "--content", str(content), "--show-failures", "5"])
    out = capsys.readouterr().out
    assert code == 0
    assert "10 services, 3 FAQs" in out
    lines = {line.split()[0]: line.split() for line in out.splitlines() if line.strip()}
    assert lines["zh"][1:3] == ["2", "100.0%"]
    assert lines["en"][1:3] == ["2", "50.0%"]  # e2 is deliberately mislabelled
    assert lines["overall"][1] == "6"
    assert "out of scope: n=1" in out and "100.0%" in out.split("out of scope")[1]
    assert "e2" in out.split("failures")[1]


def test_ranked_services_dedupes_and_marks_general_faq():
    from knowledge_base.search import Hit

    hits = [Hit("faq", "f", None, 0.9, "q"), Hit("service", "a", "a", 0.8, "a"), Hit("faq", "g", "a", 0.7, "q"),
            Hit("service", "b", "b", 0.6, "b")]
    assert eval_search.ranked_services(hits) == [("-", 0.9), ("a", 0.8), ("b", 0.6)]
