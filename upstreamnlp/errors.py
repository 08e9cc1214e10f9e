"""Errors about user input: each names the file (and line, column or key) and the fix.

The CLI turns an ``UpstreamError`` into one line on stderr and exit code 2, with no
traceback; library users catch it like any other exception.
"""

from __future__ import annotations

from pathlib import Path


def _sentence(text: str) -> str:
    """``text`` ending as a sentence (a full stop added unless it ends with . ! or ?)."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


class UpstreamError(Exception):
    """A problem with the user's input that the user can fix."""

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        where: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        self.where = where
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as the CLI prints it: ``file[:where]: message. Fix: ...``."""
        parts = []
        if self.path:
            parts.append(self.path + (f" ({self.where})" if self.where else ""))
        elif self.where:
            parts.append(self.where)
        text = (": ".join(parts) + ": " if parts else "") + self.message
        if self.fix:
            text = _sentence(text) + f" Fix: {_sentence(self.fix)}"
        return text

    def reason(self) -> str:
        """The message without the file, for lists that already name it (skipped files):
        ``(line 3) invalid JSON (...). Fix: ...``."""
        text = (f"({self.where}) " if self.where else "") + self.message
        if self.fix:
            text = _sentence(text) + f" Fix: {_sentence(self.fix)}"
        return text


class ConfigError(UpstreamError):
    """A run config or codebook that does not validate."""
