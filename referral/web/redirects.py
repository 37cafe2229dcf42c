"""Where a `next`-style parameter may send the browser: only a path of this site.

Decided on the parsed and normalised URL, not on its first characters: browsers drop tabs and
newlines inside URLs and read a backslash as a slash, so `/\t/evil.example` or `/\\evil.example`
lead to another site although they start with a single slash.
"""

from __future__ import annotations

import posixpath
from urllib.parse import unquote, urlsplit

#: Longer targets are not links this site makes.
MAX_LENGTH = 2000


def local_path(target: str | None, *, under: str = "/") -> str | None:
    """`target` if it is a path of this site below `under` (itself a path), else None."""
    if not target or len(target) > MAX_LENGTH:
        return None
    decoded = unquote(target)
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F or ch == "\\" for ch in decoded):
        return None
    for candidate in (target, decoded):
        parts = urlsplit(candidate)
        if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
            return None
        path = posixpath.normpath(parts.path)
        if not (under == "/" or path == under or path.startswith(under.rstrip("/") + "/")):
            return None
    return target
