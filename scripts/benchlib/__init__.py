"""The pieces of `make bench` (scripts/bench.py): servers, load client, stock floor, profile, report."""
