"""What citizens leave with the service desk: handoff tickets and feedback (plus PII masking)."""
