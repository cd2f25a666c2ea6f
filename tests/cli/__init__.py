"""Tests of server/cli/."""
