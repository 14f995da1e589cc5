"""Answer files, tolerance, error carried forward, diagnoses, reports."""
