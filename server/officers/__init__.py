"""Officers and click-to-call: who covers which districts and kinds, who is on duty now and
next, and calls placed to them about an event and logged on its timeline.

model (the officer) · shifts (weekly patterns, overrides, calendars) · duty (who now, who next) ·
store (the directory's SQLite file) · transfer (CSV/TOML import and export, the demo directory) ·
calls (a call's life, logged) · dialers/ (tel, sip, and plugins)
"""
