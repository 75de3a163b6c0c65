"""Sibling services and regional vocabulary on the shipped content (knowledge_base/content).

A generic word ("护照", "ID card", "驾照", "户口") names one service, but the rest of the message
often points at a sibling: lost → replacement, foreign licence → conversion, baby → newborn
registration. These phrasings were written for these tests (not taken from eval/).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from knowledge_base import eval_search
from knowledge_base.search import DEFAULT_THRESHOLD, Searcher
from knowledge_base.spelling import HomophoneCorrector

CONTENT = Path(__file__).resolve().parents[2] / "knowledge_base" / "content"
CLEAR = 0.5  # a score the NLU treats as a clear mention
MARGIN = 0.02  # the lead the NLU needs over the second service


@pytest.fixture(scope="module")
def rank():
    services, faqs = eval_search.load_content(CONTENT)
    if not services:
        pytest.skip("no shipped content")
    searcher = Searcher.from_records(services, faqs)
    corrector = HomophoneCorrector.for_services(services)

    def ranked(text: str) -> list[tuple[str, float]]:
        """Like KnowledgeBaseAccess.rank_services: best score per service, highest first."""
        best: dict[str, float] = {}
        for hit in searcher.search(corrector.correct(text), limit=15):
            if hit.service_id and hit.score > best.get(hit.service_id, 0.0):
                best[hit.service_id] = hit.score
        return sorted(best.items(), key=lambda kv: -kv[1])

    return ranked


def _assert_top(ranked, expected):
    assert ranked, "no hit"
    top, score = ranked[0]
    assert top == expected, ranked[:3]
    assert score >= DEFAULT_THRESHOLD, ranked[:3]


SIBLINGS = [
    # lost or stolen → the replacement service, not the generic application
    ("钱包连身份证一起被偷了，去哪里补", "id_card_replacement"),
    ("my identity card was stolen on the bus, how do I get another one", "id_card_replacement"),
    ("我的身分證找不到了，可以在外地補辦嗎", "id_card_replacement"),
    ("护照在机场弄丢了怎么办", "passport_renewal"),
    ("my passport was stolen while travelling, what should I do", "passport_renewal"),
    # damaged or expiring passport → renewal/replacement
    ("护照被水泡坏了还能用吗", "passport_renewal"),
    ("the cover of my passport is badly damaged, do I need a new one", "passport_renewal"),
    ("护照明年三月到期，现在可以换新的吗", "passport_renewal"),
    ("護照快到期了，要怎麼換新", "passport_renewal"),
    # a baby → newborn registration, not a hukou transfer
    ("宝宝满月了还没上户口，要带什么", "newborn_hukou_registration"),
    ("our baby was born last month, how do we register her on our hukou", "newborn_hukou_registration"),
    ("剛生完孩子，新生兒戶口怎麼辦", "newborn_hukou_registration"),
    # a licence from abroad → conversion, not renewal
    ("我拿的是日本驾照，想换成国内的", "foreign_driver_license_conversion"),
    ("Is it possible to exchange a Swiss driving licence for a Chinese one?", "foreign_driver_license_conversion"),
    ("我有美國駕照，在大陸要怎麼換證", "foreign_driver_license_conversion"),
    ("我的 UK licence 能换中国驾照吗", "foreign_driver_license_conversion"),
    ("澳門的駕駛執照可以轉成內地的駕駛證嗎", "foreign_driver_license_conversion"),
    # closing a company → deregistration
    ("公司经营不下去了，营业执照怎么注销", "business_deregistration"),
    ("we are shutting down our company next month, what is the procedure", "business_deregistration"),
    ("公司決定結束營業，要怎麼註銷", "business_deregistration"),
    # a foreigner's residence → foreigner residence permit, not the work permit
    ("我丈夫是法国人，想在江州长期居留，要办什么", "foreigner_residence_permit"),
    ("my husband is Dutch and wants to stay here with me long term, which residence permit is that",
     "foreigner_residence_permit"),
    ("外籍人士的居留證怎麼延期", "foreigner_residence_permit"),
    # a Chinese citizen from elsewhere → the residence permit for non-locals
    ("我是外地来打工的，要办居住证吗", "residence_permit"),
    ("I came here for work from another Chinese province, do I need a residence permit", "residence_permit"),
    # tickets and fines → traffic violations
    ("被电子眼拍到闯红灯，罚款在哪交", "traffic_violation_handling"),
    ("I got a speeding ticket from a camera, how do I pay it", "traffic_violation_handling"),
    ("收到超速罰單要怎麼繳", "traffic_violation_handling"),
    # a flat changes hands → property transfer, not hukou transfer
    ("how do I transfer my apartment to my son", "property_transfer_registration"),
    ("卖掉老房子办过户，税费怎么算", "property_transfer_registration"),
    # translations and degrees → notarisation
    ("I need my diploma translated and notarised for a visa", "notarization"),
    ("毕业证要做公证翻译，去哪里办", "notarization"),
    # pregnancy → maternity (birth) registration, not the newborn's hukou
    ("老婆怀孕三个月了，要去登记吗", "maternity_registration"),
    ("my wife is pregnant with our first child, what registration do we need before the birth",
     "maternity_registration"),
    # school places
    ("孩子明年上一年级，学位怎么申请", "school_enrollment"),
    ("how do I get a school place for my son who starts first grade next year", "school_enrollment"),
    # complaints → the 12345 hotline
    ("楼下广场舞噪音太大，去哪里投诉", "hotline_12345"),
    ("the streetlight outside my building is broken, where can I report it", "hotline_12345"),
    ("鄰居太吵想檢舉，該打哪支電話", "hotline_12345"),
    # dismissal and unpaid wages → labour arbitration
    ("公司无故把我开除了，还拖着工资不给", "labor_dispute_arbitration"),
    ("I was fired without notice and my boss won't pay my last salary", "labor_dispute_arbitration"),
    ("老闆積欠薪水三個月，要去哪裡申請仲裁", "labor_dispute_arbitration"),
    # housing fund: buying → loan, rent → withdrawal
    ("could the provident fund lend me money for an apartment", "housing_fund_loan"),
    ("用公积金贷款买二手房要什么条件", "housing_fund_loan"),
    ("租房子可以提領公積金嗎", "housing_fund_withdrawal"),
]


@pytest.mark.parametrize("text, expected", SIBLINGS)
def test_the_cue_picks_the_sibling(rank, text, expected):
    _assert_top(rank(text), expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("买房了怎么上户口", "hukou_transfer"),
        ("老人投靠子女上户口要什么材料", "hukou_transfer"),
        ("how do I renew my Chinese driving licence", "driver_license_renewal"),
        ("我的驾照明年到期，可以提前换吗", "driver_license_renewal"),
        ("怀孕了被公司辞退怎么办", "labor_dispute_arbitration"),
        ("第一次办护照要多久", "passport_application"),
        ("I need an ID card for the first time, I just turned 16", "id_card_application"),
    ],
)
def test_without_a_sibling_cue_the_generic_service_stays(rank, text, expected):
    _assert_top(rank(text), expected)


REGIONAL = [
    ("低收入戶資格怎麼認定", "minimum_living_allowance"),
    ("請不起律師可以找法律扶助嗎", "legal_aid"),
    ("港澳通行證能不能網路申請", "hk_macau_permit"),
    ("勞動仲栽要準備什麼", "labor_dispute_arbitration"),
    ("婚姻登記處在哪裡", "marriage_registration"),
    ("結婚證要帶什麼去領", "marriage_registration"),
    ("戶政事務所可以辦身分證嗎", "id_card_application"),
]


@pytest.mark.parametrize("text, expected", REGIONAL)
def test_taiwan_and_hong_kong_wording(rank, text, expected):
    _assert_top(rank(text), expected)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("社保卡", "social_security_card"),
        ("低保", "minimum_living_allowance"),
        ("dibao", "minimum_living_allowance"),
        ("结婚证", "marriage_registration"),
        ("結婚證", "marriage_registration"),
        ("Taiwan travel pass", "taiwan_permit"),
        ("居住证", "residence_permit"),
        ("公证", "notarization"),
        ("notary", "notarization"),
        ("罚单", "traffic_violation_handling"),
    ],
)
def test_a_bare_name_is_a_clear_mention(rank, text, expected):
    ranked = rank(text)
    _assert_top(ranked, expected)
    assert ranked[0][1] >= CLEAR, ranked[:3]
    assert len(ranked) == 1 or ranked[0][1] - ranked[1][1] >= MARGIN, ranked[:3]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("护照", "passport_application"),
        ("passport", "passport_application"),
        ("身份证", "id_card_application"),
        ("ID card", "id_card_application"),
        ("驾照", "driver_license_renewal"),
        ("driving licence", "driver_license_renewal"),
        ("户口", "hukou_transfer"),
        ("hukou", "hukou_transfer"),
        ("营业执照", "business_registration"),
        ("residence permit", "foreigner_residence_permit"),
        ("通行证", "hk_macau_permit"),
    ],
)
def test_a_generic_word_alone_stays_with_its_own_service(rank, text, expected):
    """Siblings share the generic word only when the message says more."""
    ranked = rank(text)
    _assert_top(ranked, expected)
    assert ranked[0][1] >= CLEAR and ranked[0][1] - ranked[1][1] >= MARGIN, ranked[:3]


# ---------------------------------------------------------------- the lexical rules behind the above


@pytest.mark.parametrize("a, b", [
    ("notarised", "notarisation"),
    ("translated", "translation"),
    ("stolen", "lost"),
    ("theft", "loss"),
    ("borrow", "loan"),
    ("identity", "id"),
])
def test_stems_that_mean_the_same(a, b):
    from knowledge_base.search import _stem

    assert _stem(a) == _stem(b)


@pytest.mark.parametrize("text, contains", [
    ("我有香港駕照", "境外驾照"),
    ("德国的驾驶证", "境外驾照"),
    ("想换成内地的驾驶证", "换国内驾照"),
    ("my UK driving licence", "foreign driving licence"),
    ("a Taiwanese driver's license", "foreign driving licence"),
    ("my US licence", "my foreign driving licence"),
    ("身份证不见了", "身份证丢失了"),
    ("法律扶助", "法律援助"),
])
def test_phrase_rewrites(text, contains):
    from knowledge_base.search import _prepare

    assert contains in _prepare(text)


@pytest.mark.parametrize("text", ["tell us driving licence rules", "我的驾照到期了", "中国驾照快过期了"])
def test_phrase_rewrites_leave_local_licences_alone(text):
    from knowledge_base.search import _prepare

    prepared = _prepare(text)
    assert "foreign" not in prepared and "境外" not in prepared and "换国内" not in prepared
