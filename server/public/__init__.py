"""The citizens' board: the `public` stream derived from `live` through a redaction projection."""
