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


def test_valid_id_is_masked_invalid_kept():
    text = "我的身份证11010519491231002X，另一个110105194912310021"
    masked = mask_personal_data(text)
    assert "11010519491231002X" not in masked and "110*************2X" in masked
    assert "110105194912310021" in masked


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
