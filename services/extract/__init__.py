"""Extract: stories in, ACLED-style events out."""
