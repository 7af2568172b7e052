"""Contact data (seed lines S2–S14): add, verify, resend, make primary, settings, remove, change, list."""
