"""Text from outside (a browser, a shell, a file) made safe for tokenizers.

Python strings may hold lone UTF-16 surrogates: a shell argument with invalid UTF-8 arrives that way
(surrogateescape), and so does half of an emoji cut by a naive truncation. Fast tokenizers refuse such
strings with a TypeError, which would reach the user as a traceback; one replacement character each is
what a user would expect instead.
"""

from __future__ import annotations


def well_formed(text: str) -> str:
    """`text` with surrogate pairs joined and every lone surrogate replaced by U+FFFD."""
    if text.isascii():
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
