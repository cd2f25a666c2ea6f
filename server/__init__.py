"""cityboard's server: the event model, the durable log, fan-out to boards and the HTTP API."""
