"""Randomized variants, problem sheets and LMS question banks."""
