"""TODO docstring for server/replay."""
