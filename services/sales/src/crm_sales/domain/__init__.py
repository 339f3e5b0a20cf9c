"""The sales domain: aggregates and their rules, plain Python without I/O."""
