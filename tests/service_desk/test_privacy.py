"""Masking of resident ID numbers (valid checksum only), mobile numbers and e-mail addresses."""
import pytest

from service_desk.privacy import is_valid_resident_id, mask_personal_data


@pytest.mark.parametrize("number,valid", [
    ("11010519491231002X", True),
    ("110105194912310021", False),   # wrong check digit
    ("440524188001010014", True),
    ("44052418800101001", False),    # 17 characters
])
def test_resident_id_checksum(number, valid):
    assert is_valid_resident_id(number) is valid


def test_valid_and_mistyped_ids_are_masked():
    text = "我的身份证11010519491231002X，另一个110105194912310021"
    masked = mask_personal_data(text)
    assert "11010519491231002X" not in masked and "110*************2X" in masked
    assert "110105194912310021" not in masked and "110*************21" in masked


@pytest.mark.parametrize("text,raw", [
    ("身份证号１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X"),            # full-width (IME default)
    ("ID 110105 1949 1231 002X please", "1949 1231"),                          # with spaces
    ("老身份证110105491231002", "110105491231002"),                              # 15-digit form
    ("银行卡 6222 0212 3456 7890 123", "3456 7890"),                               # bank card, grouped
    ("卡号6222021234567890123", "6222021234567890123"),
    ("passport E12345678, permit C12345678", "12345678"),                      # passport, HK/Macau permit
    ("护照号码ＥＡ１２３４５６７", "1234567"),
    ("座机 0571-87654321 或 (010)12345678", "87654321"),
    ("手机１３８１２３４５６７８", "12345678"),
])
def test_more_personal_data_is_masked(text, raw):
    masked = mask_personal_data(text)
    assert raw not in masked and "*" in masked


@pytest.mark.parametrize("text", ["办护照要120元，10个工作日", "拨打12345热线", "G1234次列车", "2026年12月1日 9:00-17:00"])
def test_ordinary_numbers_are_kept(text):
    assert mask_personal_data(text) == text


@pytest.mark.parametrize("text,expected", [
    ("call me on 13812345678", "call me on 138****5678"),
    ("电话+86 138-1234-5678谢谢", "电话138****5678谢谢"),
    ("mail zhang.san@example.com now", "mail z***@example.com now"),
    ("no personal data 12345", "no personal data 12345"),
])
def test_phone_and_email_masking(text, expected):
    assert mask_personal_data(text) == expected


def test_huge_input_does_not_crash():
    assert len(mask_personal_data("1" * 200_000)) == 200_000


def test_bidirectional_overrides_never_reach_staff():
    from service_desk.privacy import mask_personal_data

    sneaky = "请退款\u202e到账号\u2066abc\u2069"
    assert mask_personal_data(sneaky) == "请退款到账号abc"
