"""The one place credentials are removed from text before anyone sees it.

Every error path that may quote a URL or a command line goes through `redact`: a token in
`https://user:TOKEN@host/…`, a `?access_token=` query, an `Authorization:` header echoed
by a tool. What is removed is replaced by `***`, so the reader still sees that something
was there.
"""

from __future__ import annotations

import re

# Userinfo runs to the *last* "@" before the path: a password may itself contain "@". A
# run of scheme characters is tried from its first one only: a long run is read once.
_USERINFO = re.compile(
    r"(?<![a-zA-Z0-9+.-])(?P<scheme>[0-9+.-]*[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/?#\s]+)@"
)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&](?:access_token|token|password|passwd|secret|api[_-]?key|sig)=)[^&\s]+",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"(?P<key>Authorization:\s*(?:Basic|Bearer|token)\s+)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('key')}***", text)
    return _AUTH_HEADER.sub(lambda m: f"{m.group('key')}***", text)
