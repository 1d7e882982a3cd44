"""The one place credentials are removed from text before anyone sees it.

Every error path that may quote a URL or a command line goes through `redact`: a token in
`https://user:TOKEN@host/…`, a `?access_token=` query, an `Authorization:` header echoed
by a tool. What is removed is replaced by `***`, so the reader still sees that something
was there.
"""

from __future__ import annotations

import re

# A URL's scheme with what may stand before its first letter (`-https://`, `1https://`). A
# run of scheme characters is tried from its first one only (the look-behind), so a long
# base64 or hex run is read once, not from each of its characters to its end.
URL_SCHEME = r"(?<![a-zA-Z0-9+.-])[0-9+.-]*[a-zA-Z][a-zA-Z0-9+.-]*://"
# Userinfo runs to the *last* "@" before the path: a password may itself contain "@".
_USERINFO = re.compile(rf"(?P<scheme>{URL_SCHEME})(?P<userinfo>[^/?#\s]+)@")
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&](?:access_token|token|password|passwd|secret|api[_-]?key|sig)=)[^&\s]+",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"(?P<key>Authorization:\s*(?:Basic|Bearer|token)\s+)\S+", re.IGNORECASE)


def redact(text: str) -> str:
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    text = _QUERY_SECRET.sub(lambda m: f"{m.group('key')}***", text)
    return _AUTH_HEADER.sub(lambda m: f"{m.group('key')}***", text)
