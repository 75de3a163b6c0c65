"""Broad topics: a message that only names a topic fitting several services is asked about."""
from __future__ import annotations

import pytest

from bot.understanding.decision import Evidence, decide
from bot.understanding.topics import broad_topic


@pytest.mark.parametrize("text,topic", [
    ("养老", "pension"),
    ("想问问社保的事", "social_insurance"),
    ("你好，我想咨询一下户口的问题", "hukou"),
    ("question about hukou", "hukou"),
    ("I have a question about residence permits", "residence_permit"),
    ("Hi, a question regarding the housing fund", "housing_fund"),
    ("公積金", "housing_fund"),                      # Traditional input
    ("刚被辞退了，怎么办", "job_loss"),
    ("I just got laid off, what now?", "job_loss"),
    ("we're starting a business", "new_business"),
    ("想开个网店", "new_business"),
    ("我们刚生了个女儿！", "new_baby"),
    ("we just had a baby!!", "new_baby"),
    ("我想投诉", "complaint"),
    ("我想办个证", "a_certificate"),
    ("刚搬来江州", "moving_here"),
    ("I just moved here", "moving_here"),
    ("想买房", "buying_home"),
    ("we're buying our first home", "buying_home"),
    ("孩子明年要上小学了", "child_school"),
    ("my son is starting school next year", "child_school"),
    ("我想问下身份证的事", "id_card"),                # a new card, a lost one or a temporary one?
    ("my ID card", "id_card"),
    ("想問下護照嘅嘢", "passport"),                   # Cantonese, Traditional
    ("question about my passport", "passport"),
    ("通行证怎么办", "travel_pass"),                  # Hong Kong and Macao, or Taiwan?
    ("房子的事", "home"),
    ("驾照的事", "driving_licence"),
    ("厂子倒闭了 我们一批人都没活干了", "job_loss"),
    ("I got fired without any compensation", "job_loss"),
    ("身份证的事想问问", "id_card"),                  # the frame after the topic
    ("身分證的問題想請教", "id_card"),
    ("户口的事咋弄", "hukou"),
    ("我爸的驾驶证", "driving_licence"),              # someone else's document
    ("my mum's passport", "passport"),
    ("税务的事", "tax"),                              # the annual settlement or invoices?
    ("tax stuff", "tax"),
    ("我老婆怀孕三个月了", "pregnancy"),
    ("my wife is pregnant", "pregnancy"),
    ("我们刚买了套二手房", "buying_home"),
    ("we just bought a flat", "buying_home"),
    ("question about my visa", "visa"),              # an extension, a residence permit or a work permit?
    ("签证的事", "visa"),
])
def test_a_bare_topic_is_found(text, topic):
    found = broad_topic(text)
    assert found is not None and found.name == topic
    assert len(found.services) >= 2


@pytest.mark.parametrize("text", [
    "身份证快过期了",                                   # says which service: a renewal
    "我想注册个公司",                                   # a company is a company registration
    "I want to start a company",
    "need to register him in our hukou",               # asks for one step
    "户口迁移要带什么",
    "my residence permit expires next week, how do I renew it",
    "pension",                                         # in English, the pension claim itself
    "刚被辞退了，公司不给补偿，能申请仲裁吗",
    "想买房，公积金能贷多少",                           # a question about one service
    "孩子上学要什么材料",
    "护照怎么办",                                       # how to get a passport: a plain request
    "护照",                                             # the document's word alone asks for one
    "身份证",
    "驾照",
    "how do I get a passport",
    "身份证丢了",
    "驾照到期了",
    "my visa expires next week",                       # an extension
    "签证快到期了",
    "房子过户",
    "hello",
    "",
    "/ask_fee",
    "社保" * 50,                                        # long messages say more than a topic
])
def test_a_message_that_says_more_is_not_a_bare_topic(text):
    assert broad_topic(text) is None


@pytest.mark.parametrize("text,lexical,first", [
    ("养老", (("pension_claim", 0.85), ("social_insurance_enrollment", 0.28)), "pension_claim"),
    ("question about hukou", (("hukou_transfer", 0.52), ("newborn_hukou_registration", 0.22)), "hukou_transfer"),
    ("刚被辞退了", (("labor_dispute_arbitration", 0.94),), "labor_dispute_arbitration"),
])
def test_a_bare_topic_is_asked_about_even_with_a_strong_mention(text, lexical, first):
    topic = broad_topic(text)
    d = decide(Evidence(intent="ask_overview", confidence=0.95, service=lexical[0][0], service_score=lexical[0][1],
                        lexical=lexical, semantic=lambda: None, topic=topic))
    assert d.service is None and d.intent == "ask_overview"
    assert d.candidates[0] == first and set(d.candidates) <= set(topic.services) and len(d.candidates) >= 2
    assert "broad topic" in d.reason


def test_a_request_for_a_person_wins_over_a_topic():
    d = decide(Evidence(intent="ask_overview", confidence=0.9, asks_for_human=True, topic=broad_topic("社保")))
    assert d.intent == "human_handoff"


@pytest.mark.parametrize("text,expected", [
    ("she also wants to visit Hong Kong, does she need a separate permit?", True),
    ("另外还想办个港澳通行证", True),
    ("顺便问下驾照换证", True),
    ("那要多久", False),
    ("how long does it take", False),
    ("我也要去吗", False),
    ("那以后社保断了，我自个儿咋接着交", True),          # the next step after this one
    ("cool. after that i need plates for my new car", True),
    ("生完孩子以后要办啥", False),
    ("拿到执照以后发票咋申领", True),
    ("卖吃的是不是还得办食品许可，要够啥条件", True),
])
def test_a_further_need_is_announced(text, expected):
    from bot.understanding.context import announces_another_need

    assert announces_another_need(text) is expected


@pytest.mark.parametrize("text,topic,score,expected", [
    ("你会说English吗", "languages", 0.55, "chitchat"),             # "English" touches a licence faintly
    ("can you speak Chinese? I need a passport", "languages", 0.8, "ask_overview"),  # a strong mention stays
    ("你真笨，护照到底怎么办", "insult", 0.54, "ask_overview"),        # an insult with a question is answered
])
def test_small_talk_about_the_assistant_outweighs_a_faint_service_word(text, topic, score, expected):
    ev = Evidence(intent="ask_overview", confidence=0.99, service="foreign_driver_license_conversion",
                  service_score=score, lexical=(("foreign_driver_license_conversion", score),), small_talk=topic)
    assert decide(ev).intent == expected


def test_small_talk_words_do_not_turn_a_refusal_into_small_talk():
    """"play a song by Juanes on Spotify" has the words of the 'sing' topic, but the classifier
    refused it: it stays refused (the override is for service questions with a faint service)."""
    ev = Evidence(intent="out_of_scope", confidence=0.95, small_talk="sing")
    assert decide(ev).intent == "out_of_scope"


@pytest.mark.parametrize("text,topic", [
    # a life event told as a story, asking nothing yet: the counter asks what is needed
    ("my wife just gave birth!!", "new_baby"),
    ("我老婆前天在医院生了个大胖小子", "new_baby"),
    ("老板欠了俺半年工钱，一直拖着不给", "unpaid_wages"),
    ("the boss hasn't paid us for three months", "unpaid_wages"),
    ("准备买套二手房", "buying_home"),
    ("we are buying a second-hand flat in the spring", "buying_home"),
    ("my dad is retiring in march", "pension"),
    ("我妈明年就退休了", "pension"),
    ("我在 Shanghai 想开个小 restaurant", "new_business"),
    ("my company 要关门了", "business_closing"),
    ("我们厂下个月就要倒闭了", "business_closing"),
    ("我們公司準備歇業了", "business_closing"),            # Traditional input
    ("公司刚把我们整个部门都裁员了", "job_loss"),
    # asking only what the event involves
    ("我媳妇昨天生了，是个小子，接下来都要办些啥", "new_baby"),
    ("明年我就到岁数退休了，有啥手续要办的", "pension"),
    ("my wife is pregnant, is there anything we have to register?", "pregnancy"),
    ("我刚move to Jiangzhou，工作在这边", "moving_here"),
    ("my wife delivered our baby girl yesterday!!", "new_baby"),
])
def test_a_life_event_told_without_a_request_is_a_topic(text, topic):
    found = broad_topic(text)
    assert found is not None and found.name == topic
    assert len(found.services) >= 2


@pytest.mark.parametrize("text", [
    "my wife just gave birth, how do we register the baby",   # a question: answered directly
    "我老婆生了，出生证明在哪开",
    "老板欠了半年工资，能申请劳动仲裁吗",
    "工友说能去申请劳动仲裁",                              # names the procedure
    "准备买套二手房，想用公积金贷款",
    "our baby was born in March and isn't registered yet",  # the registration is what is missing
    "I'm retiring next year and want to know about my pension",
    "your opinion on raising the retirement age",          # an opinion asked: not a life event
    "你覺得延後退休這個政策好不好",
    "my friend owes me money",                             # a private debt, not wages
    "坐月子中心一個月要幾錢",                               # a commercial service's price
    "my company is closing, can the staff get unemployment benefits",
    "老板欠了俺工钱" * 20,                                  # a long story says more than an event
    "我要退休了，养老金怎么领",                              # asks for one service
    "my wife gave birth, what documents does the baby need?",
])
def test_a_story_that_asks_or_names_a_service_is_not_a_told_event(text):
    assert broad_topic(text) is None
