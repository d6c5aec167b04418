"""Duplicate detection: exact (normalised-text hash) and near (64-bit SimHash, banded lookup).

A SimHash of the word 2-gram shingles of the normalised text; two texts whose fingerprints
differ in at most ``k`` bits are near-duplicates. Lookup splits the 64 bits into ``BANDS``
8-bit bands: by the pigeonhole principle two fingerprints within distance ``BANDS - 1`` share
at least one band exactly, so candidates come from equality lookups on indexed columns and
only those are compared bit by bit. The index lives in the ingest database (``state.py``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

BANDS = 8
MAX_DISTANCE = BANDS - 1  # the largest distance the banded lookup is guaranteed to find
BAND_BITS = 64 // BANDS
_WORD = re.compile(r"\w+", re.UNICODE)
_SHINGLE = 2


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_WORD.findall(text))


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def _shingle_hashes(words: list[str]) -> np.ndarray:
    if len(words) < _SHINGLE:
        grams = [" ".join(words)] if words else [""]
    else:
        grams = [" ".join(words[i:i + _SHINGLE]) for i in range(len(words) - _SHINGLE + 1)]
    # blake2b is stable across processes (unlike hash()), which a persisted index needs.
    digest = b"".join(hashlib.blake2b(g.encode("utf-8"), digest_size=8).digest() for g in set(grams))
    return np.frombuffer(digest, dtype=">u8")


def simhash(text: str) -> int:
    """64-bit SimHash of ``text`` as an unsigned int."""
    words = normalise_text(text).split()
    hashes = _shingle_hashes(words)
    bits = np.unpackbits(hashes.view(np.uint8).reshape(-1, 8), axis=1)  # (n, 64), MSB first
    votes = bits.sum(axis=0, dtype=np.int64) * 2 - len(hashes)
    packed = np.packbits((votes > 0).astype(np.uint8))
    return int.from_bytes(packed.tobytes(), "big")


def bands(fingerprint: int) -> list[int]:
    mask = (1 << BAND_BITS) - 1
    return [(fingerprint >> (BAND_BITS * i)) & mask for i in range(BANDS)]


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def similarity(a: int, b: int) -> float:
    return 1.0 - hamming(a, b) / 64.0


def to_signed(fingerprint: int) -> int:
    """SQL BIGINT is signed; store the unsigned fingerprint in its two's-complement form."""
    return fingerprint - (1 << 64) if fingerprint >= 1 << 63 else fingerprint


def from_signed(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
