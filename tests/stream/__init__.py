"""Tests of server/stream/."""
