"""TOTP second factor: enrolment secrets, one-time verification, recovery codes, QR codes."""

from __future__ import annotations

import io
import secrets

import pyotp
import qrcode
import qrcode.image.svg

from ..models.base import utcnow
from .tokens import constant_time_equal, token_digest

ISSUER = "Masar"
VALID_WINDOW = 1  # accept the previous and next 30-second step, for clock drift
RECOVERY_CODE_COUNT = 10


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """An inline SVG of the enrolment QR code (no image library, no external service)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode()


def matching_step(secret: str, code: str, *, last_step: int | None, at: float | None = None) -> int | None:
    """The time step `code` is valid for, if it is valid and newer than `last_step`; else None.

    Remembering the last accepted step makes each code single-use, even within its window.
    """
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now = utcnow().timestamp() if at is None else at  # the app's one clock, as sessions and the engine
    current = int(now) // totp.interval
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if last_step is not None and step <= last_step:
            continue
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like "k3f9-2mxq-7p4d", shown once."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return [
        "-".join("".join(secrets.choice(alphabet) for _ in range(4)) for _ in range(3))
        for _ in range(RECOVERY_CODE_COUNT)
    ]


def normalize_recovery_code(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    # About 60 random bits per code: a plain digest is enough, no slow hash needed.
    return token_digest("recovery:" + normalize_recovery_code(code))


def check_recovery_code(stored_hash: str, code: str) -> bool:
    return constant_time_equal(stored_hash, hash_recovery_code(code))
