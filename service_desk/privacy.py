"""Masks personal data (resident ID numbers, mobile numbers, e-mail addresses) in free text."""
from __future__ import annotations

import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def is_valid_resident_id(number: str) -> bool:
    """True for an 18-character PRC resident ID number whose checksum digit is right."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def _mask_id(match: re.Match) -> str:
    number = match.group(0)
    return number[:3] + "*" * 13 + number[-2:] if is_valid_resident_id(number) else number


def _mask_mobile(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_email(match: re.Match) -> str:
    local, _, domain = match.group(0).partition("@")
    return local[:1] + "***@" + domain


def mask_personal_data(text: str) -> str:
    """``text`` with valid resident IDs, mobile numbers and e-mail addresses masked."""
    if not text:
        return text
    text = _ID_RE.sub(_mask_id, text)
    text = _EMAIL_RE.sub(_mask_email, text)
    return _MOBILE_RE.sub(_mask_mobile, text)
