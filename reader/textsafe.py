"""Making untrusted text safe to store and to draw: no control characters reach a terminal."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (ESC, CSI, OSC, ... live here).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """Remove C0/C1 control characters, keeping tab and newline (a carriage return goes)."""
    # Most text is ASCII without controls: `isascii` is O(1) and `isprintable` a C loop,
    # several times faster than the regex scan (which every sanitized field goes through).
    if text.isascii() and (
        text.isprintable()
        or (
            ("\n" in text or "\t" in text)
            and text.replace("\n", " ").replace("\t", " ").isprintable()
        )
    ):
        return text
    return _CONTROL.sub("", text)


def plain(text: str) -> str:
    """Like `strip_controls`, and fold any line break or tab to a space (for one-line fields)."""
    return " ".join(_CONTROL_ONE_LINE.sub(" ", text).split())


def one_line(text: str) -> str:
    """Control characters (line breaks included) become spaces; nothing else changes.

    For pieces of a line drawn side by side (search snippets), where `plain` would eat the
    spaces at the edges.
    """
    return _CONTROL_ONE_LINE.sub(" ", text)
