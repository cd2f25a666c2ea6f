"""Feed adapters: each turns one upstream standard into cityboard events."""
