"""Use cases: one handler per command, inside one unit of work."""
