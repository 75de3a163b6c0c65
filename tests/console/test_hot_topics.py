"""Hot-topic warning (舆情监测预警) over synthetic traffic."""
from __future__ import annotations

from pathlib import Path

import pytest

from console.hot_topics import HotTopicConfig, TurnSample, detect, load_config

NOW = 1_750_000_000.0
HOUR = 3600.0
SERVICE = "social_security_card"

ROUTINE = {
    "zh": ["社保卡怎么激活", "社保卡丢了怎么补办", "社保卡可以在哪里领取"],
    "en": ["How do I activate my social security card",
           "I lost my social security card, how to replace it",
           "Where can I collect my social security card"],
}
OUTAGE = {
    "zh": ["社保卡网站打不开", "社保卡系统崩溃了，一直登不上", "社保卡App打不开了"],
    "en": ["The social security card website down again?", "Can't log in to the social security card site",
           "social security card app crash when I open it"],
}


@pytest.fixture(scope="module")
def config() -> HotTopicConfig:
    return load_config()


def _steady(lang: str, per_hour: int = 3, hours: int = 169) -> list[TurnSample]:
    """``per_hour`` routine messages in each of the last ``hours`` hours (the last hour included)."""
    step = HOUR / per_hour
    texts = ROUTINE[lang]
    return [
        TurnSample(NOW - h * HOUR - k * step - step / 2, texts[(h + k) % len(texts)], SERVICE)
        for h in range(hours)
        for k in range(per_hour)
    ]


def _spike(lang: str, count: int = 20) -> list[TurnSample]:
    """``count`` outage complaints spread over the last hour, newest first."""
    texts = OUTAGE[lang]
    return [TurnSample(NOW - 60 - i * 170, f"{texts[i % len(texts)]} #{i}", SERVICE) for i in range(count)]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("per_hour", [3, 8])
def test_steady_traffic_raises_nothing(config: HotTopicConfig, lang: str, per_hour: int) -> None:
    assert detect(_steady(lang, per_hour), now=NOW, config=config) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_spike_raises_service_and_theme_alerts(config: HotTopicConfig, lang: str) -> None:
    spike = _spike(lang)
    topics = detect(_steady(lang) + spike, now=NOW, config=config)
    by_key = {(t.kind, t.key): t for t in topics}

    service = by_key[("service", SERVICE)]
    assert service.count == 23
    assert service.baseline == 3.0
    assert service.ratio == round(23 / 3, 2) >= config.factor

    theme = by_key[("theme", "website_down")]
    assert theme.count == 20
    assert theme.baseline == 0.0
    assert theme.ratio == 20.0 >= config.factor
    assert theme.samples == [t.text for t in spike[: config.max_samples]]  # newest first

    assert [t.ratio for t in topics] == sorted((t.ratio for t in topics), reverse=True)
    assert all(t.count >= config.min_count for t in topics)
    assert ("keyword", "社保卡" if lang == "zh" else "card") not in by_key  # same messages as the service


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_new_topic_below_min_count_raises_nothing(config: HotTopicConfig, lang: str) -> None:
    fresh = _spike(lang, count=3)
    assert detect(_steady(lang) + fresh, now=NOW, config=config) == []
    assert detect(fresh, now=NOW, config=config) == []


def test_old_spike_outside_the_window_is_baseline(config: HotTopicConfig) -> None:
    past = [TurnSample(t.timestamp - 5 * HOUR, t.text, t.service) for t in _spike("zh")]
    assert detect(_steady("zh") + past, now=NOW, config=config) == []


def test_factor_override_changes_the_outcome() -> None:
    turns = _steady("zh") + _spike("zh")
    default = {(t.kind, t.key) for t in detect(turns, now=NOW, config=load_config())}
    strict = {(t.kind, t.key) for t in detect(turns, now=NOW, config=load_config(factor=10))}
    assert ("service", SERVICE) in default
    assert ("service", SERVICE) not in strict  # 23 / 3 = 7.67 < 10
    assert ("theme", "website_down") in strict  # 20 / 1 = 20 >= 10
    assert load_config(factor=10).factor == 10.0


def test_traditional_chinese_matches_themes(config: HotTopicConfig) -> None:
    turns = [TurnSample(NOW - 60 * i, "社保卡系統崩潰，一直登不上") for i in range(6)]
    keys = {(t.kind, t.key) for t in detect(turns, now=NOW, config=config)}
    assert ("theme", "website_down") in keys


def test_config_file_loads_with_bilingual_themes(config: HotTopicConfig) -> None:
    assert config.factor == 3.0 and config.min_count == 5 and config.window_minutes == 60
    assert config.baseline_hours == 168 and config.min_baseline == 1.0 and config.max_samples == 5
    assert len(config.themes) >= 8
    for theme, words in config.themes.items():
        assert set(words) == {"zh", "en"}, theme
        assert words["zh"] and words["en"], theme
        assert all(isinstance(w, str) and w for w in words["zh"] + words["en"]), theme


def test_config_rejects_themes_without_both_languages(tmp_path: Path) -> None:
    path = tmp_path / "hot.yml"
    path.write_text("factor: 2\nthemes:\n  queue:\n    zh: [排队]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="queue"):
        load_config(path)
