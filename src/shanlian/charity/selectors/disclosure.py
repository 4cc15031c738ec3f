"""Public reads: statements, disclosure, progress, compliance (no personal data beyond masked names)."""
