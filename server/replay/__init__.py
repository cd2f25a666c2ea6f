"""Record and replay: recordings of a stream as JSON Lines, played into their own stream
`replay:<name>` (never into the live one) for reviews, drills and demos.

recording (the file format: header, reading, writing, time shifts) · stream (a replay's
in-memory log) · player (pace, pause, step, speed, seek) · checkpoints (the seek index's states) ·
registry (the replays one server runs)
"""
