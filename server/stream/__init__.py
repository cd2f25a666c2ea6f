"""The stream: what every part speaks and the one path an entry takes, log → hub → boards.

events (the event model, actions, notices, the entry envelope) · log (the contract every store
shares, and group commit) · sqlite · redis (the log shared by several nodes) · workflow (an
event's handling state) · hub (fan-out) · protocol (the board protocol, without I/O)
"""
