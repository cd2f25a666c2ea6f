"""TODO docstring for feeds/kit."""
