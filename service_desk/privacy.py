"""Masks personal data in free text: resident ID numbers (18 characters, with or without spaces,
whatever the check digit, and the old 15-digit form), bank card numbers, passport and permit
numbers (a letter or two and 7–8 digits), mobile and landline numbers, e-mail addresses.
Full-width digits and letters (the default of Chinese input methods) are read as ASCII first.

Every step is linear in the length of the text: it runs on the server's event loop whenever the
tracker store saves a conversation, so one hostile message must not be able to stall it.

* The ID and mobile patterns have bounded quantifiers only and a look-behind that rejects a start
  inside a run of digits at once, so each start position costs a bounded amount of work.
* The e-mail pattern ``[local]+@[domain]+\\.[A-Za-z]{2,}`` is not used as one regex: it was tried
  at every start position of a long run of letters and scanned to the run's end each time
  (quadratic: 60,000 letters took 8 s, 2 MB hours). Instead the regex engine looks only for
  ``@`` followed by a domain (a pattern starting with a literal ``@``), and the local part is
  grown to the left of it with ``str.rstrip``. Neither character class contains ``@``, so the
  runs read for different ``@`` signs never overlap and every character is read a bounded number
  of times. The result is exactly what ``re.sub`` with the whole pattern gave (see
  :func:`_mask_emails`).
"""
from __future__ import annotations

import re

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{6}[ -]?\d{4}[ -]?\d{4}[ -]?\d{3}[\dXx]|\d{15})(?![0-9A-Za-z])")
_MOBILE_RE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_BANK_CARD_RE = re.compile(r"(?<![0-9A-Za-z])(?:\d{4}[ -]?){3}\d{4,7}(?![0-9A-Za-z])")
_DOCUMENT_RE = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{1,2}\d{7,8}(?![0-9A-Za-z])")  # passports, permits
_LANDLINE_RE = re.compile(r"(?<![0-9])(?:\(0\d{2,3}\)|0\d{2,3}[- ]?)\d{7,8}(?![0-9])")
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF10, 0xFF1A)}  # ０-９
_FULL_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF21, 0xFF3B)})  # Ａ-Ｚ
_FULL_WIDTH.update({code: code - 0xFEE0 for code in range(0xFF41, 0xFF5B)})  # ａ-ｚ
_FULL_WIDTH.update({0xFF0D: ord("-"), 0xFF0B: ord("+"), 0x3000: ord(" "), 0xFF20: ord("@"), 0xFF0E: ord(".")})

# An e-mail address is [local]+ "@" domain; the domain is found from its "@" (see _mask_emails).
_LOCAL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._%+-"
_EMAIL_DOMAIN_RE = re.compile(r"@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def is_valid_resident_id(number: str) -> bool:
    """True for an 18-character PRC resident ID number whose checksum digit is right."""
    if not re.fullmatch(r"\d{17}[\dXx]", number):
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == number[17].upper()


def _mask_id(match: re.Match) -> str:
    """A resident ID, valid or mistyped: the first 3 and last 2 characters kept."""
    number = re.sub(r"[ -]", "", match.group(0))
    return number[:3] + "*" * (len(number) - 5) + number[-2:]


def _mask_middle(match: re.Match) -> str:
    """A card, document or landline number: the first 2 and last 2 characters kept."""
    value = re.sub(r"[ ()-]", "", match.group(0))
    return value[:2] + "*" * (len(value) - 4) + value[-2:]


def _mask_mobile(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_emails(text: str) -> str:
    """``text`` with each e-mail address ``local@domain`` written ``l***@domain``.

    Gives what ``re.sub(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}", ...)`` gave, in
    linear time: the regex engine finds each ``@`` followed by a domain (the pattern starts with
    the literal ``@``, so no start position inside a run of letters is ever tried), and the local
    part is grown to the left with ``str.rstrip``: the run of local-part characters before the
    ``@``, not reaching back into the previous address.
    """
    parts: list[str] = []
    done = 0  # text[:done] is already in parts
    lo = 0  # the local part of the next address starts at lo or later
    match = _EMAIL_DOMAIN_RE.search(text)
    while match is not None:
        at, end = match.span()
        # text[lo:at] never overlaps an earlier slice: every character is read a few times at most.
        local_start = lo + len(text[lo:at].rstrip(_LOCAL_CHARS))
        if local_start == at:  # "@domain" with nothing before it: not an address
            lo = at + 1
        else:
            parts.append(text[done:local_start])
            parts.append(text[local_start] + "***" + text[at:end])
            done = lo = end
        match = _EMAIL_DOMAIN_RE.search(text, lo)
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


# Bidirectional embedding, override and isolate controls: in a stored message they could make
# the staff console show text in another order than it was written ("Trojan source").
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def mask_personal_data(text: str) -> str:
    """``text`` with resident IDs, bank cards, passport and permit numbers, mobile and landline
    numbers and e-mail addresses masked (full-width digits and letters read as ASCII), and
    bidirectional override controls dropped. Everything stored or shown to staff passes here."""
    if not text:
        return text
    text = text.translate(_BIDI_CONTROLS).translate(_FULL_WIDTH)
    text = _ID_RE.sub(_mask_id, text)
    text = _BANK_CARD_RE.sub(_mask_middle, text)
    text = _mask_emails(text)
    text = _MOBILE_RE.sub(_mask_mobile, text)
    text = _DOCUMENT_RE.sub(_mask_middle, text)
    return _LANDLINE_RE.sub(_mask_middle, text)
