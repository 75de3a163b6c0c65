"""Fixture records for the search tests: a small catalogue written for these tests only."""
from __future__ import annotations

import pytest


def _service(sid, zh, en, aliases_zh, aliases_en, category, summary_zh="", summary_en=""):
    return {
        "id": sid,
        "name": {"zh": zh, "en": en},
        "aliases": {"zh": aliases_zh, "en": aliases_en},
        "category": category,
        "summary": {"zh": summary_zh, "en": summary_en},
    }


SERVICES = [
    _service("passport_application", "普通护照申领", "Ordinary passport application",
             ["办护照", "申请护照", "首次办护照"], ["passport", "new passport", "first passport"],
             "exit_entry", "首次申请护照，带身份证到出入境大厅办理。",
             "Apply for a first passport at an exit-entry hall with your ID card."),
    _service("passport_renewal", "护照换发、补发", "Passport renewal or replacement",
             ["换护照", "护照过期", "护照丢了", "补办护照"], ["renew passport", "expired passport", "lost passport"],
             "exit_entry", "护照过期、丢失或损坏时换发或补发。", "Renew an expired passport or replace a lost one."),
    _service("hk_macau_permit", "往来港澳通行证及签注", "Exit-Entry Permit for Hong Kong and Macao",
             ["港澳通行证", "去香港", "港澳签注", "通行证"], ["hong kong permit", "macau permit", "travel to hong kong"],
             "exit_entry"),
    _service("taiwan_permit", "往来台湾通行证及签注", "Mainland Travel Permit for Taiwan",
             ["台湾通行证", "去台湾", "赴台签注", "通行证"], ["taiwan permit", "travel to taiwan"], "exit_entry"),
    _service("id_card_application", "居民身份证申领、换领", "Resident ID card application or renewal",
             ["办身份证", "换身份证", "身份证到期"], ["id card", "renew id card"], "household"),
    _service("id_card_replacement", "居民身份证挂失补领", "Replacing a lost resident ID card",
             ["身份证丢了", "补办身份证", "身份证挂失"], ["lost id card", "replace id card", "stolen id card"],
             "household"),
    _service("housing_fund_withdrawal", "住房公积金提取", "Housing provident fund withdrawal",
             ["提取公积金", "公积金提取", "取公积金"], ["housing fund withdrawal", "withdraw housing fund", "withdrawal"],
             "housing"),
    _service("housing_fund_loan", "住房公积金贷款", "Housing provident fund loan",
             ["公积金贷款", "公积金房贷"], ["housing fund loan", "provident fund mortgage", "loan"], "housing"),
    _service("marriage_registration", "结婚登记", "Marriage registration",
             ["结婚登记", "领结婚证"], ["marriage registration", "get married"], "civil_affairs"),
    _service("driver_license_renewal", "驾驶证期满换证", "Driving licence renewal",
             ["驾照到期", "换驾照"], ["renew driving licence", "driving licence expired"], "traffic"),
]

FAQS = [
    {"id": "faq_passport_photo", "service": "passport_application", "tags": ["photo"],
     "questions": {"zh": ["办护照要自己带照片吗", "护照照片需要自己拍吗"],
                   "en": ["Do I need my own photo for a passport?", "Must I bring a passport photo?"]},
     "answer": {"zh": "不需要。", "en": "No."}},
    {"id": "faq_loan_limit", "service": "housing_fund_loan", "tags": [],
     "questions": {"zh": ["公积金最多能贷多少", "公积金贷款额度是多少"],
                   "en": ["How much can I borrow from the housing fund?", "What is the housing fund loan limit?"]},
     "answer": {"zh": "视缴存情况而定。", "en": "It depends on your contributions."}},
    {"id": "faq_general_appointment", "service": None, "tags": [],
     "questions": {"zh": ["办事要提前预约吗", "需要预约吗"], "en": ["Do I need an appointment?", "Must I book ahead?"]},
     "answer": {"zh": "建议预约。", "en": "Booking is recommended."}},
]


@pytest.fixture(scope="session")
def records():
    return SERVICES, FAQS


@pytest.fixture(scope="session")
def searcher(records):
    from knowledge_base.search import Searcher

    return Searcher.from_records(*records)
