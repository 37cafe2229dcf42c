"""Blind indexes: find survivor files by exact phone, national ID or name without decrypting.

Each index value is HMAC-SHA256(column key, normalised value), truncated to a few bits.
Truncation is deliberate: a value matches several rows, so a stolen table of indexes
does not pin down one person; the caller confirms candidates by decrypting them and
comparing ``normalize(column, decrypted) == normalize(column, query)``.
Changing any normaliser or the HKDF info string invalidates every stored index.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


class BlindIndexError(ValueError):
    """A value cannot be normalised. The message never contains the value (it is personal data)."""


# Arabic-Indic (U+0660..) and Eastern Arabic-Indic (U+06F0..) digits, both common in our forms.
_DIGITS = {0x0660 + i: str(i) for i in range(10)} | {0x06F0 + i: str(i) for i in range(10)}
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2212"
_PHONE_SEPARATORS = re.compile(rf"[\s{re.escape(_DASHES)}.()/]+")
_ID_SEPARATORS = re.compile(rf"[\s{re.escape(_DASHES)}./]+")

# Harakat, superscript alef, Quranic marks and tatweel: spelling noise, never meaningful in a name.
_ARABIC_NOISE = re.compile("[\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS = {
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alef forms
    "\u0649": "\u064a",  # alef maqsura -> yaa
    "\u0629": "\u0647",  # taa marbuta -> haa
    "\u0624": "\u0648",  # hamza on waw -> waw
    "\u0626": "\u064a",  # hamza on yaa -> yaa
    "\u0621": None,  # lone hamza, often omitted
    "\u06cc": "\u064a", "\u06a9": "\u0643",  # Persian/Urdu yeh and kaf
}
_ARABIC_TABLE = str.maketrans(_ARABIC_LETTERS)
# Modifier-letter apostrophes and grave/acute accents are letters or symbols in Unicode but
# are typed as apostrophes in names ("N'Diaye"), so they separate words like punctuation does.
_NAME_SEPARATORS = frozenset("\u02bc\u02bb\u0060\u00b4")


def _clean(raw: str) -> str:
    """NFKC, ASCII digits, and no invisible format characters (pasted from RTL text)."""
    text = unicodedata.normalize("NFKC", raw).translate(_DIGITS)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def normalize_phone(raw: str, default_region: str) -> str:
    """Return the E.164 form, so that "06 12..." and "+212 6 12..." index identically.

    Only digits, separators (space, dash, dot, parentheses, slash), invisible direction
    marks and one leading "+" or "00" are accepted: letters are refused rather than read
    as vanity digits. A number possible only locally (no area code) is refused, as its
    E.164 form would be wrong. A leading "00" is read as "+" whatever the default region.
    """
    text = _PHONE_SEPARATORS.sub("", _clean(raw))
    if text.startswith("00"):
        text = "+" + text[2:]
    if not re.fullmatch(r"\+?[0-9]+", text):
        raise BlindIndexError("phone number contains unexpected characters")
    try:
        number = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        raise BlindIndexError("phone number cannot be parsed") from None
    reason = phonenumbers.is_possible_number_with_reason(number)
    if reason != phonenumbers.ValidationResult.IS_POSSIBLE:
        raise BlindIndexError("phone number is not a possible number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_national_id(raw: str) -> str:
    """Uppercase, without separators, ASCII digits: how the ID is printed on the card."""
    text = _clean(raw).upper()
    text = _ID_SEPARATORS.sub("", text)
    if not text:
        raise BlindIndexError("national ID number is empty")
    return text


def normalize_name(raw: str) -> str:
    """Fold the spelling variants of one name (Arabic, Latin or mixed) into one string.

    Tokens are sorted because family and given names are entered in either order. The
    article "ال" is kept: it is part of family names and stripping it would merge names.
    Besides hyphens, apostrophes and dots, any Unicode punctuation separates words, and
    invisible format characters (ZWNJ, direction marks) are dropped.
    """
    text = unicodedata.normalize("NFKC", raw)
    text = _ARABIC_NOISE.sub("", text).translate(_ARABIC_TABLE)
    text = unicodedata.normalize("NFKD", text.casefold())
    chars = []
    for ch in text:
        category = unicodedata.category(ch)
        if unicodedata.combining(ch) or category == "Cf":
            continue  # accents and invisible marks
        chars.append(" " if category.startswith("P") or ch in _NAME_SEPARATORS else ch)
    tokens = sorted("".join(chars).split())
    if not tokens:
        raise BlindIndexError("name is empty")
    return " ".join(tokens)


class BlindIndexer:
    """Computes blind index values with one HKDF-derived key per column.

    Separate keys mean the same string stored as a phone and as a national ID gives
    unrelated index values, so columns cannot be joined on their indexes.
    """

    COLUMNS = ("phone", "national_id", "full_name")
    HKDF_INFO_PREFIX = b"masar blind index v1 "

    def __init__(self, root_key: bytes, bits: int = 18, default_region: str = "MA") -> None:
        """``bits`` trades leakage for candidate count; the value fits a signed BIGINT."""
        if not isinstance(root_key, (bytes, bytearray)) or len(root_key) < 32:
            raise ValueError("root_key must be at least 32 bytes")
        if isinstance(bits, bool) or not isinstance(bits, int) or not 8 <= bits <= 64:
            raise ValueError("bits must be an integer between 8 and 64")
        if default_region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("default_region is not a supported phone region")
        self.bits = bits
        self.default_region = default_region
        self._keys = {column: self._derive(bytes(root_key), column) for column in self.COLUMNS}
        self._normalizers: dict[str, Callable[[str], str]] = {
            "phone": lambda raw: normalize_phone(raw, self.default_region),
            "national_id": normalize_national_id,
            "full_name": normalize_name,
        }

    @classmethod
    def _derive(cls, root_key: bytes, column: str) -> bytes:
        info = cls.HKDF_INFO_PREFIX + column.encode("ascii")
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(root_key)

    def normalize(self, column: str, raw: str) -> str:
        """The normalised form, to confirm candidates once decrypted."""
        if column not in self._normalizers:
            raise ValueError(f"unknown blind index column: {column!r}")
        return self._normalizers[column](raw)

    def compute(self, column: str, raw: str) -> int:
        """Index value: the first ``bits`` bits of the HMAC, as a non-negative int.

        With ``bits == 64`` only the first 63 bits are kept, so every value is < 2**63
        and fits a signed 64-bit BIGINT column.
        """
        normalized = self.normalize(column, raw)
        digest = hmac.new(self._keys[column], normalized.encode("utf-8"), hashlib.sha256).digest()
        kept = min(self.bits, 63)
        return int.from_bytes(digest[:8], "big") >> (64 - kept)
