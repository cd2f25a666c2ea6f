"""The HTTP surface and the composition root: `app.create_app` wires the log, hub, feeds,
officers and replays together, and each other module here answers one part of the API.

app (wiring, lifecycles, routes) · serving (the listening socket and its connection cap) ·
board (the state handlers share) · reads · push · metrics · directory · calls · replays ·
ws (the board protocol's I/O) · roles · guard (origin and content types of state changes) ·
headers (CSP and the other hardening headers) · responses · bodies (bounded, timed bodies)
"""
