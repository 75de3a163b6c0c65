"""Rasa's training cache must not reuse tokens cut with other rewrites or other knowledge-base words."""
from bot.components.tokenizer import BilingualTokenizer


def test_the_fingerprint_follows_the_regional_rewrites(tmp_path, monkeypatch):
    import knowledge_base.text as kb_text

    before = BilingualTokenizer.fingerprint_addon({})
    assert before == BilingualTokenizer.fingerprint_addon({})  # stable while nothing changes
    changed = tmp_path / "rewrites.yml"
    changed.write_bytes(kb_text._REGIONAL_FILE.read_bytes() + "extra:\n  找不着: 找不到\n".encode("utf-8"))
    monkeypatch.setattr(kb_text, "_REGIONAL_FILE", changed)
    assert BilingualTokenizer.fingerprint_addon({}) != before


def test_the_fingerprint_follows_the_knowledge_base_words(monkeypatch):
    import bot.components.tokenizer as tokenizer

    before = BilingualTokenizer.fingerprint_addon({})
    monkeypatch.setattr(tokenizer, "knowledge_base_words", lambda _dir: ["一个新的别名"])
    assert BilingualTokenizer.fingerprint_addon({}) != before
