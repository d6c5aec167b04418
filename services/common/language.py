"""The language of a text, offline (py3langid), as an ISO 639-1 code.

Shared by ingest (which records a story's language) and extract (which reads only the languages its
extractor declares). Deterministic: the same text always gives the same code.
"""

from __future__ import annotations

import threading

# the languages a metric label may name; any other is counted as "other", so the label stays bounded
LABELLED_LANGUAGES = frozenset({"en", "fr", "ar", "es", "pt", "ru", "uk", "zh", "fa", "ps", "ur", "hi", "tr", "de",
                                "it", "so", "sw", "am", "ha", "id", "my", "bn", "ja", "ko", "vi", "th", "he"})


_LOADING = threading.Lock()
_loaded = False


def detect_language(text: str) -> str | None:
    """The text's language; the model is loaded once, by the first caller (the others wait)."""
    if not text.strip():
        return None
    import py3langid

    global _loaded
    if not _loaded:
        # py3langid loads its model on first use, unguarded: threads arriving together (ingest's
        # worker threads at start) would each load it, seconds of CPU apiece, holding up every thread
        with _LOADING:
            py3langid.classify("")
            _loaded = True
    lang, _score = py3langid.classify(text[:2000])
    return lang


def language_label(code: str | None) -> str:
    if not code:
        return "unknown"
    return code if code in LABELLED_LANGUAGES else "other"
