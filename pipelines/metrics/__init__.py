"""Metrics the report cards and benchmarks measure with: word error rate, chrF, classification and image scores."""
