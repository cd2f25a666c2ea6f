"""TODO docstring for server/officers."""
