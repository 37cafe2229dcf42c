"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import functools
import re
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

COMMON_PASSWORDS_FILE = Path(__file__).with_name("data") / "common_passwords.txt"
#: zxcvbn's score, 0-4: 3 is "safely unguessable" against an offline attack on a slow hash, which
#: is what a stolen copy of the argon2id hashes would face.
MIN_STRENGTH_SCORE = 3
#: zxcvbn refuses longer input (its matching is quadratic); the first 72 characters decide.
STRENGTH_INPUT_LENGTH = 72

MIN_LENGTH = 12
MAX_LENGTH = 256

_hasher = PasswordHasher()  # argon2id with the library's current (RFC 9106 low-memory) parameters
# Verified against when the username does not exist, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("masar-dummy-password-for-timing")


def configure_hasher(hasher: PasswordHasher) -> None:
    """Swap the parameters (tests use cheap ones; a deployment may raise them: old hashes get
    rehashed at their next login)."""
    global _hasher, _DUMMY_HASH
    _hasher = hasher
    _DUMMY_HASH = hasher.hash("masar-dummy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True if `password` matches; always spends one argon2 verification."""
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


def password_problems(password: str, *, username: str = "") -> list[str]:
    """Codes of the policy rules `password` breaks (translated by the forms)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    if len(password) > MAX_LENGTH:
        problems.append("too_long")
    if len(set(password)) < 5:
        problems.append("too_simple")
    if username and username.casefold() in password.casefold():
        problems.append("contains_username")
    if not problems and _guessable(password, username):
        problems.append("too_common")
    return problems


@functools.cache
def common_words() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _only_common_words(password: str) -> bool:
    """Built from listed words, digits and signs only: "Soleil2026!", "masar-masar-2026"."""
    words = re.findall(r"[^\W\d_]+", password.casefold())
    return bool(words) and all(word in common_words() or len(word) <= 2 for word in words)


def _guessable(password: str, username: str) -> bool:
    words = common_words()
    if _only_common_words(password):
        return True
    hints = [username, *username.replace(".", " ").split(), *words] if username else list(words)
    return zxcvbn(password[:STRENGTH_INPUT_LENGTH], user_inputs=hints)["score"] < MIN_STRENGTH_SCORE
