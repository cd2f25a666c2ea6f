"""Tests of server/http/."""
