"""`make bench`: trace-engine timings on a 1,000,000-lot plant, against a Python lower bound."""
