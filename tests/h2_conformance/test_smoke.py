"""The conformance servers answer a plain GET (section 8.1 of RFC 9113)."""

from __future__ import annotations

from conf_app import BODY


def test_get(conn):
    seen = conn.get("/")
    assert seen.status == 200 and seen.ended and bytes(seen.data) == BODY
