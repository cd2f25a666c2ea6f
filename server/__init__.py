"""cityboard's server, one sub-package per concern, arrows pointing down:

cli/       the `cityboard` command (composition root for the terminal)
http/      the HTTP surface and the composition root `http.app.create_app`
officers/  the directory, who is on duty, calls and dialers
replay/    recordings and their replays
stream/    the event model, the log (contract, SQLite, Redis), the hub and the board protocol

and, under all of them: errors (the exception tree), settings, districts, clock, plugins.
docs/architecture.md draws the house and an event's path through it.
"""
