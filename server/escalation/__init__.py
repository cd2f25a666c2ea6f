"""Escalation of unacknowledged events: policies, the escalator, notifier plugins
(docs/escalation.md)."""
