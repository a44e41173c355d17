"""What is never shown: the password of a database URL wherever it is written (a message, a value the project sets, a
process's command line), and the value of a password option on a command line.

A URL is shown with its password only masked when it is read whole the way drivers read it; any other (an unencoded
`@ # / ?` in its password, a scheme that is not at its start, a value that is no URL at all) is masked up to its last
`@`, or whole when it has none: a secret may then be anywhere in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit

MASK = "****"
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
_FILE_URL = re.compile(r"^file:(?!//[^/])", re.I)
_USER_PASSWORD = re.compile(r"(?P<head>^[a-z][a-z0-9+.-]*://[^/@:?#]*:)[^@/?#]*(?=@)", re.I)
_SECRET_PARAMETER = re.compile(r"(?P<key>[?&](?:password|sslpassword|pass|pwd)=)(?P<value>[^&#]*)", re.I)
# A URL inside a longer text (`--db=mysql://root:pw@db/app`): up to the next blank or quote.
_URL_IN_TEXT = re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"]+", re.I)
_SECRET_WORD = r"[\w.-]*(?:password|passwd|pwd|secret|token|api[_-]?key)[\w.-]*"
# `--password=x`, `PGPASSWORD=x` (an `env` assignment), and `--password x` (the value is the next word).
_SECRET_ASSIGNMENT = re.compile(rf"^(?P<key>-{{0,2}}{_SECRET_WORD}=)(?P<value>.+)$", re.I | re.S)
_SECRET_OPTION = re.compile(rf"^--?{_SECRET_WORD}$", re.I)


def mask_url(url: str) -> str:
    """The URL with its password (and any password-like query parameter) replaced by `****`."""
    if _FILE_URL.match(url):
        # A file URL names no user nor password (RFC 8089); an `@` in it is a folder's (pnpm's `tsx@4.21.0`).
        return _SECRET_PARAMETER.sub(rf"\g<key>{MASK}", url)
    if _read_whole(url):
        masked = _USER_PASSWORD.sub(rf"\g<head>{MASK}", url)
    else:
        at = url.rfind("@")
        if at < 0:
            return MASK
        start = url.find("://")
        masked = (url[: start + 3] if 0 <= start < at else "") + MASK + url[at:]
    return _SECRET_PARAMETER.sub(rf"\g<key>{MASK}", masked)


def mask_secrets(text: str, url: str) -> str:
    """`text` with the URL masked, and its password removed wherever it appears on its own (raw or decoded)."""
    text = text.replace(url, mask_url(url))
    for secret in _secrets(url):
        text = text.replace(secret, MASK)
    return text


def mask_text(text: str) -> str:
    """Every URL written in `text` masked (a command line's word, a line of output)."""
    return _URL_IN_TEXT.sub(lambda match: mask_url(match[0]), text)


def mask_command(words: Iterable[str]) -> list[str]:
    """A command line's words as they may be shown: URLs masked, and the value of every password-like option."""
    shown: list[str] = []
    hide_next = False
    for word in words:
        assignment = _SECRET_ASSIGNMENT.match(word)
        if hide_next:
            shown.append(MASK)
        elif assignment is not None:
            shown.append(assignment["key"] + MASK)
        else:
            shown.append(mask_text(word))
        hide_next = not hide_next and _SECRET_OPTION.match(word) is not None
    return shown


def shown_command(command: str | Iterable[str]) -> str:
    """A command line, one string or its words, as it may be shown (see `mask_command`)."""
    return " ".join(mask_command(command.split(" ") if isinstance(command, str) else command))


def _read_whole(url: str) -> bool:
    """Whether `url` is read the same by every reader: a scheme at its start, `://` right after it when it has one,
    at most one `@` (that of the user), no fragment, a numeric port, nothing blank."""
    if not _SCHEME.match(url) or "#" in url or url.count("@") > 1 or any(c.isspace() for c in url):
        return False
    scheme = url.split(":", 1)[0]
    if "://" in url and url.find("://") != len(scheme):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    return "@" not in url or "@" in parts.netloc


def _secrets(url: str) -> list[str]:
    password: str | None = None
    if _FILE_URL.match(url):
        return sorted(
            {m["value"] for m in _SECRET_PARAMETER.finditer(url) if len(m["value"]) >= 3}, key=len, reverse=True
        )
    whole = _read_whole(url)
    if whole:
        # Read whole, the URL says where its password is: none is none (`postgresql://postgres@host/app` hides no
        # secret, and its user name is not masked wherever it appears, the scheme's `postgres` included).
        password = urlsplit(url).password
    pieces: list[str] = []
    if not whole and "@" in url:
        # Not read whole: the password is what stands between the user's `:` and the last `@`, and a reader that
        # cut it at an unencoded `# / ? @` may show any piece of it.
        userinfo = url[url.find("://") + 3 if "://" in url else 0 : url.rfind("@")]
        password = userinfo.split(":", 1)[1] if ":" in userinfo else userinfo
        pieces = re.split(r"[#/?@:]", password)
    found = [m["value"] for m in _SECRET_PARAMETER.finditer(url)]
    secrets = {s for raw in [password or "", *pieces, *found] if raw for s in (raw, unquote(raw))}
    # Longest first, so that a decoded form containing the raw one is masked whole.
    return sorted((s for s in secrets if len(s) >= 3), key=len, reverse=True)
