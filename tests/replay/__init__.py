"""Tests of server/replay/."""
