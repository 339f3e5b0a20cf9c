"""Normal forms for duplicate detection: the same company typed two ways is one key."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

# Legal-form words that do not tell two companies apart.
_LEGAL_FORMS = re.compile(
    r"\b(co|company|corp|corporation|inc|incorporated|ltd|limited|llc|gmbh|ag|sa|plc|"
    r"有限公司|有限责任公司|股份有限公司|公司)\b\.?",
    re.IGNORECASE,
)


def normalise_name(name: str | None) -> str | None:
    if not name:
        return None
    text = unicodedata.normalize("NFKC", name).casefold()
    for suffix in ("股份有限公司", "有限责任公司", "有限公司", "公司"):
        text = text.replace(suffix, " ")
    text = _LEGAL_FORMS.sub(" ", text)
    text = re.sub(r"[\W_]+", "", text)
    return text or None


def normalise_phone(phone: str | None, region: str = "CN") -> str | None:
    """E.164 when the number parses (default region China), else its digits."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, region)
        if phonenumbers.is_possible_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        pass
    digits = re.sub(r"\D", "", phone)
    return digits or None


def normalise_email(email: str | None) -> str | None:
    return email.strip().casefold() if email and email.strip() else None
