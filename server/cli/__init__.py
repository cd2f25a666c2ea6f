"""The `cityboard` command: `main` assembles one module per sub-command, each with its parser
and its run (serve, tail, record and replay, feeds, officers); `follow` is the resuming client
that tail and record share."""
