"""Helpers that start real server processes and talk to them."""
