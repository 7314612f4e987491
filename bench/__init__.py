"""`make bench`: the performance benchmark (run.py) and its bench-only settings and URLs."""
