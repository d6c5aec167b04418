"""The language of a text, offline (py3langid), as an ISO 639-1 code.

Shared by ingest (which records a story's language) and extract (which reads only the languages its
extractor declares). Deterministic: the same text always gives the same code.
"""

from __future__ import annotations

# the languages a metric label may name; any other is counted as "other", so the label stays bounded
LABELLED_LANGUAGES = frozenset({"en", "fr", "ar", "es", "pt", "ru", "uk", "zh", "fa", "ps", "ur", "hi", "tr", "de",
                                "it", "so", "sw", "am", "ha", "id", "my", "bn", "ja", "ko", "vi", "th", "he"})


def detect_language(text: str) -> str | None:
    if not text.strip():
        return None
    import py3langid

    lang, _score = py3langid.classify(text[:2000])
    return lang


def language_label(code: str | None) -> str:
    if not code:
        return "unknown"
    return code if code in LABELLED_LANGUAGES else "other"
