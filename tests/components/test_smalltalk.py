"""The small-talk topic picker (bot/smalltalk.py): paraphrases in Chinese (Simplified and Traditional)
and English find their topic, the priority order settles overlaps, and every topic has a reply."""
from pathlib import Path

import pytest
import yaml

from bot.smalltalk import TOPICS_FILE, load_topics, parse_topics, pick_topic

ROOT = Path(__file__).resolve().parents[2]
RESPONSE_FILES = [ROOT / "bot" / "responses" / "smalltalk.yml", *sorted((ROOT / "bot" / "domain").glob("*.yml"))]

# Whole messages, none of them a cue word of bot/smalltalk.yml as it stands (checked below).
CASES = [
    ("insult", "zh", "你这机器人蠢得要命"),
    ("insult", "en", "you are a complete idiot"),
    ("insult", "zh-Hant", "你這個智障"),
    ("insult", "en", "what a useless piece of software"),
    ("love", "zh", "我真的好爱你啊"),
    ("love", "en", "I think I love you"),
    ("love", "zh-Hant", "你願意做我女朋友嗎"),
    ("chatgpt", "zh", "你是不是用的文心一言"),
    ("chatgpt", "en", "are you built on GPT"),
    ("chatgpt", "zh-Hant", "你是通義千問嗎"),
    ("creator", "zh", "是谁把你做出来的"),
    ("creator", "en", "which company are you from"),
    ("creator", "zh-Hant", "你是哪家公司開發的"),
    ("joke", "zh", "来一个冷笑话吧"),
    ("joke", "en", "do you know a good joke"),
    ("joke", "zh-Hant", "說個笑話給我聽"),
    ("sing", "zh", "你能给我唱首儿歌吗"),
    ("sing", "en", "can you sing me a lullaby"),
    ("sing", "zh-Hant", "你會跳舞嗎"),
    ("name", "zh", "请问你叫什么"),
    ("name", "en", "what is your name, assistant"),
    ("name", "zh-Hant", "你叫什麼"),
    ("age", "zh", "你到底几岁啦"),
    ("age", "en", "how old is this assistant"),
    ("age", "zh-Hant", "你今年幾歲"),
    ("boredom", "zh", "我闲得发慌，陪我聊聊天"),
    ("boredom", "en", "I'm really bored right now"),
    ("boredom", "zh-Hant", "好無聊喔"),
    ("weather", "zh", "今天外面热得要命"),
    ("weather", "en", "it's pouring with rain out there"),
    ("weather", "zh-Hant", "今天天氣好冷"),
    ("user_mood", "zh", "我今天有点难过"),
    ("user_mood", "en", "I'm feeling really stressed"),
    ("user_mood", "zh-Hant", "我最近壓力好大"),
    ("feelings", "zh", "你也会不开心吗"),
    ("feelings", "en", "do you ever feel lonely"),
    ("feelings", "zh-Hant", "你會傷心嗎"),
    ("daily_life", "zh", "你每天吃什么呀"),
    ("daily_life", "en", "where do you live, Xiao Jiang"),
    ("daily_life", "zh-Hant", "你晚上睡覺嗎"),
    ("hobbies", "zh", "你平时有什么兴趣爱好"),
    ("hobbies", "en", "what's your favourite season"),
    ("hobbies", "zh-Hant", "你喜歡看書嗎"),
    ("compliment", "zh", "你真是太厉害了"),
    ("compliment", "en", "you are really clever"),
    ("compliment", "zh-Hant", "你好聰明喔"),
    ("robot_or_human", "zh", "我是不是在跟机器聊天"),
    ("robot_or_human", "en", "am I talking to a machine"),
    ("robot_or_human", "zh-Hant", "你是真人還是機器"),
    ("how_are_you", "zh", "你最近过得还好吗"),
    ("how_are_you", "en", "how's your day been"),
    ("how_are_you", "zh-Hant", "最近怎麼樣"),
    ("laugh", "zh", "哈哈哈哈太逗了"),
    ("laugh", "en", "hahahah omg"),
    ("laugh", "zh-Hant", "呵呵呵呵"),
    ("languages", "mixed", "你会说English吗"),
    ("languages", "mixed", "你们可以用 English 回复吗"),
    ("languages", "en", "can you speak Chinese?"),
    ("languages", "zh-Hant", "你會說廣東話嗎？"),
    ("goodbye", "mixed", "ok bye 拜拜啦"),
    ("goodbye", "en", "good night and thanks for nothing... see you tomorrow"),
    ("goodbye", "zh-Hant", "先這樣，再見囉"),
    ("thanks", "mixed", "thank you啦"),
    ("thanks", "en", "thanks a lot mate"),
    ("thanks", "zh-Hant", "多謝晒"),
    ("greeting", "mixed", "hi 你好呀"),
    ("greeting", "en", "hello there"),
    ("greeting", "zh", "早上好呀"),
    ("acknowledge", "zh", "好吧好吧"),
    ("acknowledge", "en", "ok then"),
    ("acknowledge", "zh-Hant", "嗯嗯，知道了"),
    ("default", "zh", "我告诉你一个秘密"),
    ("default", "en", "guess what happened to me"),
    ("default", "zh-Hant", "今天是個好日子"),
]


@pytest.mark.parametrize("topic,lang,text", CASES, ids=[f"{t}-{lang}-{i}" for i, (t, lang, _) in enumerate(CASES)])
def test_paraphrase_finds_its_topic(topic, lang, text):
    assert pick_topic(text) == topic


def test_every_topic_is_tested_three_times():
    counts = {name: sum(1 for t, _, _ in CASES if t == name) for name in load_topics().names}
    assert all(n >= 3 for n in counts.values()), counts


def test_cases_are_not_cue_words():
    data = yaml.safe_load(TOPICS_FILE.read_text(encoding="utf-8"))
    cues = {str(c).lower() for t in data["topics"].values() for lang in ("zh", "en") for c in t.get(lang) or []}
    assert not [text for _, _, text in CASES if text.lower() in cues]


@pytest.mark.parametrize("text,topic", [
    ("你不聪明", "insult"),                     # an insult, though 聪明 is a compliment cue
    ("stupid bot, are you even a robot", "insult"),
    ("我喜欢你", "love"),                       # not hobbies
    ("你喜欢你的工作吗", "hobbies"),            # 喜欢你 inside 喜欢你的 is no declaration
    ("你是ChatGPT吗", "chatgpt"),               # before the generic robot question
    ("你是哪个公司开发的机器人", "creator"),
    ("机器人会讲笑话吗", "joke"),
    ("can you sing happy birthday", "sing"),
    ("are you bored", "feelings"),              # the assistant's feelings ...
    ("I'm bored", "boredom"),                   # ... the citizen's boredom
    ("垃圾分类好麻烦啊", "default"),            # rubbish sorting is no insult
    ("this is great", "compliment"),
    ("ＯＫ", "acknowledge"),                    # full-width letters are folded
    ("you’re stupid", "insult"),                # a curly apostrophe
    ("which company made you", "creator"),
    ("which department do we talk to", "default"),  # a question about a service's office, not the bot
])
def test_priority_settles_overlaps(text, topic):
    assert pick_topic(text) == topic


@pytest.mark.parametrize("text", ["", "   ", "？？", "1234"])
def test_no_cue_is_the_default(text):
    assert pick_topic(text) == "default"


def test_ascii_cues_match_whole_words_only():
    assert pick_topic("this") == "default"          # "hi" is no cue here, but "k" is one: not in "kiosk"
    assert pick_topic("kiosk") == "default"
    assert pick_topic("k") == "acknowledge"


def test_priority_must_list_every_topic_once():
    with pytest.raises(ValueError):
        parse_topics({"priority": ["a"], "topics": {"a": {"zh": ["x"]}, "b": {"en": ["y"]}}})
    with pytest.raises(ValueError):
        parse_topics({"priority": ["a", "a"], "topics": {"a": {"zh": ["x"]}}})
    with pytest.raises(ValueError):
        parse_topics({"priority": ["default"], "topics": {"default": {"zh": ["x"]}}})
    topics = parse_topics({"priority": ["b", "a"], "topics": {"a": {"zh": ["猫"]}, "b": {"en": ["re:^cat"]}}})
    assert pick_topic("cat 猫", topics) == "b" and pick_topic("小猫", topics) == "a"
    assert pick_topic("dog", topics) == "default"


def _responses() -> dict:
    responses = {}
    for path in RESPONSE_FILES:
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return responses


@pytest.mark.parametrize("topic", load_topics().names)
def test_every_topic_has_a_chinese_and_a_default_response(topic):
    variants = _responses().get(f"utter_smalltalk_{topic}")
    assert variants, f"utter_smalltalk_{topic} is missing"
    zh = [v for v in variants if v.get("condition") == [{"type": "slot", "name": "language", "value": "zh"}]]
    default = [v for v in variants if not v.get("condition")]
    assert zh and default
    assert all(v.get("text") for v in variants)
    assert all(any("\u4e00" <= c <= "\u9fff" for c in v["text"]) for v in zh)
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in v["text"]) for v in default)


def test_jokes_vary():
    variants = _responses()["utter_smalltalk_joke"]
    assert len([v for v in variants if v.get("condition")]) >= 2
    assert len([v for v in variants if not v.get("condition")]) >= 2


def test_the_assistant_never_claims_to_be_a_person():
    for name in ("utter_smalltalk_robot_or_human", "utter_smalltalk_name"):
        texts = [v["text"] for v in _responses()[name]]
        assert all("不是真人" in t or "not a person" in t for t in texts), name
