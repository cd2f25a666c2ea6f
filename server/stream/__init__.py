"""TODO docstring for server/stream."""
