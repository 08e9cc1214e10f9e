"""Turn the bytes of a text file into text, whatever Word or Excel saved it as.

Researchers' transcripts arrive as UTF-8, UTF-8 with a byte-order mark, UTF-16
("Unicode text" from Word, with a BOM) or Windows cp1252 ("ANSI", with smart quotes).
We try them in that order and refuse binary data rather than decode it into noise.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from upstreamnlp.errors import UpstreamError

BINARY_REASON = "binary or unsupported file"

# Control characters that never occur in real text (tab, newline, CR and form feed do).
_CONTROL = {c for c in range(32) if c not in (9, 10, 12, 13)}


class BinaryFileError(UpstreamError):
    """The file holds binary data, not text."""


def _looks_like_utf16(data: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when a BOM-less file has NULs in every other byte."""
    sample = data[:4000]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / max(1, len(sample[1::2]))
    if odd_nuls > 0.4 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.4 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def decode_bytes(data: bytes, path: str | Path = "<bytes>") -> str:
    """Decode a text file's bytes (BOM-aware; UTF-8, then cp1252, then latin-1).

    Raises ``BinaryFileError`` for data that is not text (NUL bytes outside UTF-16, or
    many control characters).
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith(codecs.BOM_UTF32_LE) or data.startswith(codecs.BOM_UTF32_BE):
        return data.decode("utf-32")
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise BinaryFileError(BINARY_REASON, path=path) from None
    if b"\x00" in data:
        encoding = _looks_like_utf16(data)
        if encoding is None:
            raise BinaryFileError(BINARY_REASON, path=path)
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            raise BinaryFileError(BINARY_REASON, path=path) from None
    sample = data[:8000]
    if sample and sum(b in _CONTROL for b in sample) / len(sample) > 0.01:
        raise BinaryFileError(BINARY_REASON, path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # cp1252 is what Windows calls "ANSI": smart quotes and dashes live in 0x80-0x9F.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        # five bytes are undefined in cp1252; latin-1 decodes every byte.
        return data.decode("latin-1")


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``; nothing else changes (offsets stay true)."""
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | Path) -> str:
    """A text file's content, decoded and with newlines normalised to ``\\n``."""
    path = Path(path)
    return normalise_newlines(decode_bytes(path.read_bytes(), path))
