"""The audit trail: writing events, reading timelines, verifying the hash chain."""
