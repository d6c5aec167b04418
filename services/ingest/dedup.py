"""Duplicate detection: exact (normalised-text hash) and near (MinHash with banded LSH, plus a
lead key for truncations).

Near-duplicate fingerprint of a text, computed in one pass with numpy:

* ``signature``: a 32-value MinHash over the word 3-gram shingles of the normalised text. Its
  first ``BANDS * ROWS`` values form ``BANDS`` band keys; two texts whose shingle sets have
  Jaccard similarity J share at least one band with probability 1 - (1 - J^ROWS)^BANDS (0.99 at
  J = 0.65, the lowest similarity of an edited copy measured by ``bench/near_duplicates.py``).
  Candidates that share a band are then verified with the Jaccard estimate from all 32 values.
* ``lead``: a hash of the first ``LEAD_WORDS`` words. A copy cut down to a summary keeps the
  lead but only a small share of the shingles, so Jaccard cannot see it; an identical lead can.

The index is persisted in the ingest database (``state.py``): one row per original story with
the band keys and the lead in indexed columns, so a lookup is a handful of index probes whatever
the number of stored stories.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

import numpy as np

NUM_HASHES = 32
BANDS = 8
ROWS = 2
SHINGLE = 3
LEAD_WORDS = 20
DEFAULT_THRESHOLD = 0.4  # Jaccard estimate above which a band candidate is a near-duplicate

_WORD = re.compile(r"\w+", re.UNICODE)
# Fixed seeds: fingerprints are persisted and compared across processes and releases.
_rng = np.random.default_rng(0x5EED_D0C5)
_A = (_rng.integers(1, 2**63, NUM_HASHES, dtype=np.uint64) << np.uint64(1)) | np.uint64(1)
_B = _rng.integers(0, 2**63, NUM_HASHES, dtype=np.uint64)
_P1, _P2 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F)
_BASE = np.uint64(0x100000001B3)
_BASE_INV = np.uint64(pow(0x100000001B3, -1, 2**64))


@dataclass(frozen=True)
class Fingerprint:
    signature: np.ndarray  # NUM_HASHES x uint32
    lead: int | None  # signed 64-bit, for SQL; None when the text is shorter than the lead

    def bands(self) -> list[int]:
        sig = self.signature.astype(np.uint64)
        out = []
        for i in range(BANDS):
            key = 0
            for v in sig[i * ROWS:(i + 1) * ROWS]:
                key = (key * 0x100000001B3 + int(v)) & 0x7FFFFFFFFFFFFFFF
            out.append(key)  # 63-bit, positive: fits SQL BIGINT and carries the band number implicitly
        return out

    def to_bytes(self) -> bytes:
        return self.signature.astype("<u4").tobytes()

    @staticmethod
    def signature_from_bytes(raw: bytes) -> np.ndarray:
        return np.frombuffer(raw, dtype="<u4")


_NON_WORD = re.compile(r"\W+", re.UNICODE)
# ASCII fast path: bytes.translate with a 256-byte table is an order of magnitude faster than the
# regex (str.translate with a dict is not). Typographic quotes and dashes, which keep most English
# copy from being ASCII, are replaced first.
_ASCII_TABLE = bytes(c if (chr(c).isalnum() or c == 0x5F) else 0x20 for c in range(256))
_TYPOGRAPHY = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2015\u2026\u00a0\u2022\u00b7\u00ab\u00bb\u200b"


def normalise_text(text: str) -> str:
    """Case-folded words separated by single spaces (NFKC first, which ASCII text never needs)."""
    if not text.isascii():
        for ch in _TYPOGRAPHY:
            if ch in text:
                text = text.replace(ch, " ")
    if text.isascii():
        return " ".join(text.encode("ascii").lower().translate(_ASCII_TABLE).decode("ascii").split())
    text = unicodedata.normalize("NFKC", text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def content_hash(text: str, normalised: str | None = None) -> str:
    """Hash of the normalised text; pass ``normalised`` when the caller has it already."""
    if normalised is None:
        normalised = normalise_text(text)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def _to_signed(v: int) -> int:
    return v - (1 << 64) if v >= 1 << 63 else v


def _word_hashes(normalised: str) -> np.ndarray:
    """A stable 64-bit hash per word of a normalised text, for all words at once.

    Polynomial hash of each word's UTF-8 bytes from prefix sums (modulo 2^64, where an odd base
    has an inverse): no Python-level loop over words, which is what made fingerprinting slow.
    """
    buf = np.frombuffer(normalised.encode("utf-8"), dtype=np.uint8).astype(np.uint64)
    n = len(buf)
    if n == 0:
        return np.zeros(1, dtype=np.uint64)
    powers = np.empty(n, dtype=np.uint64)
    inverse = np.empty(n, dtype=np.uint64)
    powers[0] = inverse[0] = 1
    powers[1:] = _BASE
    inverse[1:] = _BASE_INV
    powers = np.cumprod(powers, dtype=np.uint64)
    inverse = np.cumprod(inverse, dtype=np.uint64)
    prefix = np.cumsum((buf + np.uint64(1)) * powers, dtype=np.uint64)
    spaces = np.flatnonzero(buf == 32)
    starts = np.concatenate(([0], spaces + 1))
    ends = np.concatenate((spaces, [n])) - 1
    before = np.where(starts > 0, prefix[np.maximum(starts - 1, 0)], np.uint64(0))
    h = (prefix[ends] - before) * inverse[starts]
    h ^= h >> np.uint64(29)
    return h * _P1


def fingerprint(text: str, normalised: str | None = None) -> Fingerprint:
    """Fingerprint of ``text``; pass ``normalised`` when the caller has it already."""
    if normalised is None:
        normalised = normalise_text(text)
    words = normalised.split(" ") if normalised else [""]
    w = _word_hashes(normalised)
    if len(w) >= SHINGLE:
        sh = w[: len(w) - SHINGLE + 1] * _P1
        for k in range(1, SHINGLE):
            sh = (sh ^ w[k: len(w) - SHINGLE + 1 + k]) * _P2 + np.uint64(k)
    else:
        sh = w * _P1
    sh = np.unique(sh)
    hashed = (sh[:, None] * _A[None, :] + _B[None, :]) >> np.uint64(32)
    signature = hashed.min(axis=0).astype(np.uint32)
    lead = None
    if len(words) >= LEAD_WORDS:
        digest = hashlib.blake2b(" ".join(words[:LEAD_WORDS]).encode("utf-8"), digest_size=8).digest()
        lead = _to_signed(int.from_bytes(digest, "big"))
    return Fingerprint(signature, lead)


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.count_nonzero(a == b)) / len(a)


def near_similarity(a: Fingerprint, b: Fingerprint, threshold: float = DEFAULT_THRESHOLD) -> float | None:
    """The Jaccard estimate when ``a`` and ``b`` are near-duplicates (similar enough, or the same
    lead), else None."""
    sim = jaccard_estimate(a.signature, b.signature)
    if sim >= threshold or (a.lead is not None and a.lead == b.lead):
        return round(sim, 4)
    return None
