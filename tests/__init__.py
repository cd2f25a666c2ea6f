"""cityboard's tests, in folders that mirror the code: real SQLite files, sockets, redis-server,
baresip and Chromium."""
