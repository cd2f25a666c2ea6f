"""TODO docstring for server/cli."""
