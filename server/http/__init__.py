"""TODO docstring for server/http."""
