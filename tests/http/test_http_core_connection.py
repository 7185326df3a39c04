"""The two-way HTTP/1.1 server connection (sans-IO): bytes in, events out,
events in, bytes out.  No sockets.

Keep-alive (RFC 9112 section 9.3), 100-continue (RFC 9110 section 10.1.1),
pipelining, the drain limit, every response framing (RFC 9112 section 6,
RFC 9110 sections 6.4.1, 8.6, 15) and the state tables.
"""

from __future__ import annotations

import re

import pytest

from gunicorn.config import Config
from gunicorn.http import errors as E
from gunicorn.http.core import (
    CONNECTION_CLOSED,
    DRAIN_LIMIT,
    NEED_DATA,
    PAUSED,
    Data,
    EndOfMessage,
    ErrorResponse,
    InformationalResponse,
    LocalProtocolError,
    RequestHead,
    Response,
    ServerConnection,
)
from gunicorn.http.core import connection as C
from gunicorn.http.core.settings import ParserSettings

DATE_RE = re.compile(rb"Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT\r\n")


def settings(**kw):
    cfg = Config()
    for key, value in kw.items():
        cfg.set(key, value)
    return ParserSettings(cfg)


def new_conn(data=b"", drain_limit=DRAIN_LIMIT, **kw):
    conn = ServerConnection(settings(**kw), ("127.0.0.1", 4000), drain_limit=drain_limit)
    if data:
        conn.receive_data(data)
    return conn


def events(conn):
    """Every event up to the next sentinel; returns (events, sentinel)."""
    out = []
    while True:
        ev = conn.next_event()
        if ev is NEED_DATA or ev is PAUSED or ev is CONNECTION_CLOSED:
            return out, ev
        out.append(ev)


def head_of(response: bytes) -> dict[str, str]:
    head = response.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    fields = dict(line.split(": ", 1) for line in head[1:])
    fields[":status-line"] = head[0]
    return fields


def respond(conn, status=200, headers=(), body=b"", trailers=None):
    """Send a whole response; return its bytes."""
    out = conn.send(Response(status, list(headers)))
    if body:
        out += conn.send(Data(body))
    return out + conn.send(EndOfMessage(trailers or []))


def request(conn):
    """The next RequestHead, reading the body to its end."""
    evs, last = events(conn)
    assert isinstance(evs[0], RequestHead), evs
    assert isinstance(evs[-1], EndOfMessage), evs
    return evs[0]


# ---------------------------------------------------------------- keep-alive matrix


KEEP_ALIVE_MATRIX = [
    # (version line, Connection fields, response fields, keep alive?)
    ("HTTP/1.1", [], [("Content-Length", "2")], True),
    ("HTTP/1.1", [], [], True),                                  # chunked
    ("HTTP/1.1", ["close"], [("Content-Length", "2")], False),
    ("HTTP/1.1", ["Close"], [("Content-Length", "2")], False),
    ("HTTP/1.1", ["keep-alive"], [], True),
    ("HTTP/1.0", [], [("Content-Length", "2")], False),
    ("HTTP/1.0", ["keep-alive"], [("Content-Length", "2")], True),
    ("HTTP/1.0", ["Keep-Alive"], [("Content-Length", "2")], True),  # case-insensitive
    ("HTTP/1.0", ["keep-alive"], [], False),                     # close-delimited content
    # Connection is a token list (RFC 9110 section 7.6.1)
    ("HTTP/1.0", ["x, keep-alive"], [("Content-Length", "2")], True),
    ("HTTP/1.0", ["keep-alive , x"], [("Content-Length", "2")], True),
    ("HTTP/1.1", ["close, te"], [("Content-Length", "2")], False),
    ("HTTP/1.1", ["te, close"], [("Content-Length", "2")], False),
    ("HTTP/1.1", ["TE,Close"], [("Content-Length", "2")], False),
    ("HTTP/1.1", ["closed"], [("Content-Length", "2")], True),    # a token, not a substring
    ("HTTP/1.0", ["keep-alives"], [("Content-Length", "2")], False),
    # several Connection fields form one list (RFC 9110 section 5.3)
    ("HTTP/1.1", ["keep-alive", "close"], [("Content-Length", "2")], False),
    ("HTTP/1.1", ["x", "close"], [("Content-Length", "2")], False),
    ("HTTP/1.0", ["x", "keep-alive"], [("Content-Length", "2")], True),
    ("HTTP/1.0", ["keep-alive", "close"], [("Content-Length", "2")], False),
    # the application asks to close
    ("HTTP/1.1", [], [("Content-Length", "2"), ("Connection", "close")], False),
    ("HTTP/1.1", [], [("Content-Length", "2"), ("Connection", "x, Close")], False),
]


@pytest.mark.parametrize("version, connection, fields, keep", KEEP_ALIVE_MATRIX, ids=[
    "%s|%s|%s" % (v, "+".join(c) or "-", ",".join("%s=%s" % f for f in r) or "chunked")
    for v, c, r, _ in KEEP_ALIVE_MATRIX])
def test_keep_alive_matrix(version, connection, fields, keep):
    raw = b"GET / %s\r\nHost: x\r\n%s\r\n" % (
        version.encode(), b"".join(b"Connection: %s\r\n" % c.encode() for c in connection))
    conn = new_conn(raw)
    request(conn)
    out = respond(conn, 200, fields, b"ok")
    assert conn.keep_alive is keep
    # the head says what the connection will do (RFC 9112 section 9.6)
    assert head_of(out)["Connection"] == ("keep-alive" if keep else "close")
    assert conn.our_state is (C.DONE if keep else C.MUST_CLOSE)
    if keep:
        conn.start_next_cycle()
        assert conn.next_event() is NEED_DATA
    else:
        with pytest.raises(LocalProtocolError):
            conn.start_next_cycle()


@pytest.mark.parametrize("method, status, fields", [
    ("HEAD", 200, []),
    ("HEAD", 200, [("Content-Length", "10")]),
    ("GET", 204, []),
    ("GET", 304, [("Content-Length", "10")]),
])
@pytest.mark.parametrize("version", ["HTTP/1.0", "HTTP/1.1"])
def test_no_content_responses_keep_the_connection(method, status, fields, version):
    # no content at all: nothing is delimited by closing (RFC 9112 section 6.3)
    conn = new_conn(b"%s / %s\r\nConnection: keep-alive\r\n\r\n" % (method.encode(), version.encode()))
    request(conn)
    out = respond(conn, status, fields, b"ignored")
    assert conn.keep_alive
    assert out.endswith(b"\r\n\r\n") and b"ignored" not in out
    assert b"Transfer-Encoding" not in out


def test_server_asks_to_close():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    conn.request_close()
    out = respond(conn, 200, [("Content-Length", "0")])
    assert head_of(out)["Connection"] == "close" and not conn.keep_alive
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    out = conn.send(Response(200, [("Content-Length", "0")], close=True))
    assert head_of(out)["Connection"] == "close"


def test_request_close_after_the_head_still_closes():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    conn.send(Response(200, [("Content-Length", "1")]))
    conn.request_close()
    conn.send(Data(b"x"))
    conn.send(EndOfMessage())
    assert not conn.keep_alive and conn.our_state is C.MUST_CLOSE


def test_connect_and_compressed_codings_never_persist():
    conn = new_conn(b"CONNECT example.com:443 HTTP/1.1\r\n\r\n")
    request(conn)
    assert not conn.keep_alive
    conn = new_conn(b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n")
    request(conn)
    assert not conn.keep_alive


# ---------------------------------------------------------------- errors


def test_parse_error_answer_and_close():
    conn = new_conn(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
    with pytest.raises(E.InvalidHeaderName) as info:
        conn.next_event()
    assert conn.their_state is C.ERROR and not conn.keep_alive
    page = conn.send_error(info.value)
    assert page.startswith(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n")
    assert b"Invalid HTTP header name" in page
    assert conn.our_state is C.MUST_CLOSE
    with pytest.raises(LocalProtocolError):
        conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.send(Response(200))


@pytest.mark.parametrize("exc, status", [
    (E.LimitRequestLine(9000, 4094), b"414 URI Too Long"),
    (E.LimitRequestHeaders("too many"), b"431 Request Header Fields Too Large"),
    (E.UnsupportedTransferCoding("x"), b"501 Not Implemented"),
    (E.ExpectationFailed("x"), b"417 Expectation Failed"),
    (ValueError("secret"), b"500 Internal Server Error"),
])
def test_error_pages_carry_the_status_of_the_error(exc, status):
    page = ServerConnection(None).send_error(exc)
    assert page.startswith(b"HTTP/1.1 " + status + b"\r\nConnection: close\r\n")
    assert b"secret" not in page
    length = int(head_of(page)["Content-Length"])
    assert len(page.split(b"\r\n\r\n", 1)[1]) == length


def test_error_page_bytes_match_util_write_error():
    import socket

    from gunicorn import util

    a, b = socket.socketpair()
    with a, b:
        util.write_error(a, 400, "Bad Request", "Invalid <x>")
        sent = b.recv(4096)
    assert sent == ServerConnection(None).send(ErrorResponse(400, "Bad Request", "Invalid <x>"))
    assert b"Invalid &lt;x&gt;" in sent


def test_no_error_page_after_the_head():
    conn = new_conn(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    assert isinstance(conn.next_event(), RequestHead)
    conn.send(Response(200))
    with pytest.raises(E.InvalidChunkSize) as info:
        conn.next_event()
    with pytest.raises(LocalProtocolError):
        conn.send_error(info.value)
    # the response under way may still end; the connection closes after it
    assert conn.send(EndOfMessage()) == b"0\r\n\r\n"
    assert not conn.keep_alive


def test_peer_gone_mid_head_and_mid_body():
    conn = new_conn(b"GET / HTTP/1.1\r\nHost")
    assert conn.next_event() is NEED_DATA
    conn.receive_data(b"")
    with pytest.raises(E.NoMoreData):
        conn.next_event()
    # RFC 9112 section 8: an incomplete message; never reuse the connection
    conn = new_conn(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
    assert isinstance(conn.next_event(), RequestHead)
    assert conn.next_event() == Data(b"abc")
    conn.receive_data(b"")
    with pytest.raises(E.ClientDisconnected) as info:
        conn.next_event()
    assert isinstance(info.value, E.NoMoreData) and "7 bytes" in str(info.value)
    assert not conn.keep_alive


def test_clean_close_between_requests():
    conn = new_conn()
    conn.receive_data(b"")
    assert conn.next_event() is CONNECTION_CLOSED
    assert conn.their_state is C.PEER_CLOSED and not conn.keep_alive
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"more")


# ---------------------------------------------------------------- illegal transitions


def test_nothing_can_be_sent_before_a_request():
    conn = new_conn()
    for event in (Response(200), Data(b"x"), EndOfMessage(), InformationalResponse(103)):
        with pytest.raises(LocalProtocolError):
            conn.send(event)
    # only an error page may answer a request that never parsed
    assert conn.send(ErrorResponse(400, "Bad Request")).startswith(b"HTTP/1.1 400 ")


def test_illegal_send_orders():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    with pytest.raises(LocalProtocolError):
        conn.send(Data(b"early"))
    with pytest.raises(LocalProtocolError):
        conn.send(EndOfMessage())
    with pytest.raises(LocalProtocolError):
        conn.start_next_cycle()
    conn.send(Response(200, [("Content-Length", "0")]))
    with pytest.raises(LocalProtocolError):
        conn.send(Response(200))
    with pytest.raises(LocalProtocolError):
        conn.send(InformationalResponse(103))
    with pytest.raises(LocalProtocolError):
        conn.send_error(ValueError())
    conn.send(EndOfMessage())
    with pytest.raises(LocalProtocolError):
        conn.send(Data(b"late"))
    with pytest.raises(LocalProtocolError):
        conn.send(EndOfMessage())
    with pytest.raises(LocalProtocolError):
        conn.send(object())


@pytest.mark.parametrize("status", [99, 101, 200, 404])
def test_informational_status_range(status):
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    with pytest.raises(LocalProtocolError):
        conn.send(InformationalResponse(status))


def test_state_tables_are_data():
    assert C.THEIR_TRANSITIONS[(C.IDLE, RequestHead)] is C.SEND_BODY
    assert C.THEIR_TRANSITIONS[(C.SEND_BODY, EndOfMessage)] is C.DONE
    assert C.OUR_TRANSITIONS[(C.SEND_RESPONSE, Response)] is C.SEND_BODY
    assert C.OUR_TRANSITIONS[(C.SEND_RESPONSE, InformationalResponse)] is C.SEND_RESPONSE
    assert C.OUR_TRANSITIONS[(C.SEND_BODY, EndOfMessage)] is C.DONE
    assert (C.SEND_BODY, Response) not in C.OUR_TRANSITIONS
    assert repr(C.SEND_BODY) == "SEND_BODY"


def test_events_are_frozen():
    import dataclasses

    for event in (Data(b"x"), EndOfMessage(), Response(200), InformationalResponse(100),
                  ErrorResponse(400, "Bad Request")):
        name = dataclasses.fields(event)[0].name
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(event, name, None)


# ---------------------------------------------------------------- response framing


def test_content_length_framing_and_extra_bytes_dropped():
    conn = new_conn(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    request(conn)
    head = conn.send(Response(200, [("Content-Type", "text/plain"), ("Content-Length", "5")]))
    fields = head_of(head)
    assert fields[":status-line"] == "HTTP/1.1 200 OK"
    assert list(fields)[:3] == ["Server", "Date", "Connection"]
    assert fields["Server"] == "gunicorn" and DATE_RE.search(head)
    assert fields["Content-Length"] == "5" and "Transfer-Encoding" not in fields
    assert conn.send(Data(b"abc")) == b"abc"
    assert conn.send(Data(b"defgh")) == b"de"      # past Content-Length: dropped
    assert conn.send(Data(b"more")) == b""
    assert conn.send(EndOfMessage()) == b""
    assert conn.keep_alive


def test_short_content_length_closes():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    respond(conn, 200, [("Content-Length", "10")], b"abc")
    # the client would wait for 7 more bytes: never reuse
    assert not conn.keep_alive and conn.our_state is C.MUST_CLOSE


def test_chunked_framing_with_trailers():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    head = conn.send(Response(200, [("X-A", "1")]))
    assert head_of(head)["Transfer-Encoding"] == "chunked"
    assert conn.send(Data(b"hello")) == b"5\r\nhello\r\n"
    assert conn.send(Data(b"")) == b""              # never the last-chunk by accident
    assert conn.send(Data(b"x" * 26)) == b"1A\r\n" + b"x" * 26 + b"\r\n"
    assert conn.send(EndOfMessage([("Checksum", "abc")])) == b"0\r\nChecksum: abc\r\n\r\n"
    assert conn.keep_alive


def test_http10_without_length_is_close_delimited():
    conn = new_conn(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    request(conn)
    out = respond(conn, 200, [], b"raw")
    fields = head_of(out)
    assert fields[":status-line"] == "HTTP/1.0 200 OK"
    assert fields["Connection"] == "close" and "Transfer-Encoding" not in fields
    assert out.endswith(b"\r\n\r\nraw")
    assert not conn.keep_alive


def test_head_response_keeps_content_length_sends_no_content():
    conn = new_conn(b"HEAD / HTTP/1.1\r\n\r\n")
    request(conn)
    out = respond(conn, 200, [("Content-Length", "1234")], b"body")
    assert head_of(out)["Content-Length"] == "1234"
    assert out.endswith(b"\r\n\r\n")
    assert conn.keep_alive


def test_204_and_1xx_lose_content_length():
    # RFC 9110 section 8.6: never Content-Length on 1xx and 204
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    out = respond(conn, 204, [("Content-Length", "3"), ("X-A", "1")], b"abc")
    assert b"Content-Length" not in out and head_of(out)["X-A"] == "1"


def test_owned_fields_are_replaced():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    head = conn.send(Response(200, [("Server", "evil"), ("Date", "never"), ("Keep-Alive", "t=1"),
                                    ("Transfer-Encoding", "gzip"), ("X-Kept", "y"),
                                    ("Content-Length", "0")]))
    text = head.decode("latin-1")
    assert text.count("Server:") == 1 and "evil" not in text and "never" not in text
    assert "Keep-Alive" not in text and "gzip" not in text and "X-Kept: y" in text


def test_switching_protocols_passes_bytes_and_never_persists():
    conn = new_conn(b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
    request(conn)
    head = conn.send(Response(101, [("Upgrade", "websocket"), ("Connection", "Upgrade")]))
    assert head_of(head)["Connection"] == "upgrade"
    assert conn.send(Data(b"\x81\x00")) == b"\x81\x00"
    conn.send(EndOfMessage())
    assert not conn.keep_alive


def test_reason_phrase_and_status_line_cache():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    assert conn.send_head(599, [], "Custom Thing").startswith(b"HTTP/1.1 599 Custom Thing\r\n")
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    assert conn.send(Response(404)).startswith(b"HTTP/1.1 404 Not Found\r\n")


def test_send_head_with_end_of_message():
    # a response without content in one call; announced content never sent closes
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    out = conn.send_head(200, [], None, None, end=True)
    assert out.endswith(b"\r\n\r\n0\r\n\r\n") and conn.keep_alive and conn.our_state is C.DONE
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    out = conn.send_head(200, [("Content-Length", "3")], None, 3, end=True)
    assert head_of(out)["Connection"] == "close" and not conn.keep_alive


def test_frame_file_and_failed_send():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    conn.send(Response(200))
    assert conn.frame_file(10) == (10, b"A\r\n", b"\r\n")
    conn.send_failed()
    assert conn.our_state is C.ERROR and not conn.keep_alive
    assert conn.send_end() == b""
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    conn.send(Response(200, [("Content-Length", "4")]))
    assert conn.frame_file(100) == (4, b"", b"")
    assert conn.send(EndOfMessage()) == b"" and conn.keep_alive


# ---------------------------------------------------------------- 100-continue


def expect(length=b"5", version=b"HTTP/1.1"):
    return b"PUT /x %s\r\nExpect: 100-continue\r\nContent-Length: %s\r\n\r\n" % (version, length)


def test_100_continue_once_when_the_client_waits():
    conn = new_conn(expect())
    assert isinstance(conn.next_event(), RequestHead)
    assert conn.client_is_waiting_for_100_continue
    assert conn.next_event() is NEED_DATA
    assert conn.send(InformationalResponse(100)) == b"HTTP/1.1 100 Continue\r\n\r\n"
    assert not conn.client_is_waiting_for_100_continue
    assert conn.send(InformationalResponse(100)) == b""     # never twice
    conn.receive_data(b"hello")
    assert events(conn) == ([Data(b"hello"), EndOfMessage()], PAUSED)
    respond(conn, 200, [("Content-Length", "0")])
    assert conn.keep_alive


def test_unanswered_100_continue_closes():
    # the client may or may not send the held-back body: never reuse
    conn = new_conn(expect())
    assert isinstance(conn.next_event(), RequestHead)
    out = respond(conn, 413, [("Content-Length", "0")])
    assert head_of(out)["Connection"] == "close" and not conn.keep_alive
    # no 100 after the final head
    assert not conn.client_is_waiting_for_100_continue


def test_no_100_for_http10_or_without_content():
    conn = new_conn(expect(version=b"HTTP/1.0"))
    assert conn.next_event().expect_100 is False
    assert not conn.client_is_waiting_for_100_continue
    conn = new_conn(expect(length=b"0"))
    assert isinstance(conn.next_event(), RequestHead)
    # RFC 9110 section 10.1.1: no content, nothing to wait for
    assert not conn.client_is_waiting_for_100_continue
    respond(conn, 200, [("Content-Length", "0")])
    assert conn.keep_alive


def test_100_continue_not_needed_once_content_was_read():
    conn = new_conn(expect() + b"hel")
    assert isinstance(conn.next_event(), RequestHead)
    assert conn.next_event() == Data(b"hel")
    # the client did not wait: it is sending
    assert not conn.client_is_waiting_for_100_continue
    assert conn.send(InformationalResponse(100)) == b""


def test_early_hints_and_http10():
    conn = new_conn(b"GET / HTTP/1.1\r\n\r\n")
    request(conn)
    out = conn.send(InformationalResponse(103, [("Link", "</a.css>; rel=preload")]))
    assert out == b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
    conn = new_conn(b"GET / HTTP/1.0\r\n\r\n")
    request(conn)
    # an HTTP/1.0 client cannot parse 1xx (RFC 9110 section 15.2)
    assert conn.send(InformationalResponse(103, [("Link", "</a>")])) == b""


# ---------------------------------------------------------------- pipelining


PIPELINE = (b"POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
            b"POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT: 1\r\n\r\n"
            b"GET /c HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\nHo")


def test_pipelined_requests_wait_for_each_response():
    conn = new_conn(PIPELINE)
    evs, last = events(conn)
    assert evs[0].path == "/a" and evs[1:] == [Data(b"abc"), EndOfMessage()]
    assert last is PAUSED
    assert conn.next_event() is PAUSED        # still: the response is not done
    respond(conn, 200, [("Content-Length", "0")])
    assert conn.next_event() is PAUSED        # not before start_next_cycle
    conn.start_next_cycle()
    evs, last = events(conn)
    assert evs[0].path == "/b" and evs[1:] == [Data(b"x"), EndOfMessage([("T", "1")])]
    respond(conn, 200)
    conn.start_next_cycle()
    assert request(conn).path == "/c"
    respond(conn, 204)
    conn.start_next_cycle()
    assert conn.next_event() is NEED_DATA     # half of /d
    conn.receive_data(b"st: x\r\n\r\n")
    assert request(conn).path == "/d" and conn.req_number == 4


def test_pipelined_bytes_survive_byte_by_byte():
    conn = new_conn()
    paths = []
    for i in range(len(PIPELINE)):
        conn.receive_data(PIPELINE[i:i + 1])
        while True:
            ev = conn.next_event()
            if isinstance(ev, RequestHead):
                paths.append(ev.path)
            elif isinstance(ev, EndOfMessage):
                respond(conn, 200, [("Content-Length", "0")])
                conn.start_next_cycle()
            elif ev is NEED_DATA:
                break
    assert paths == ["/a", "/b", "/c"]


def test_take_buffered_hands_the_pipelined_bytes_over():
    conn = new_conn(b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n")
    request(conn)
    assert conn.buffered == 19 and conn.trailing_data == (b"GET /b HTTP/1.1\r\n\r\n", False)
    assert conn.take_buffered() == b"GET /b HTTP/1.1\r\n\r\n" and conn.buffered == 0


# ---------------------------------------------------------------- draining


def test_unread_body_is_drained_before_the_next_request():
    body = b"z" * 5000
    conn = new_conn(b"POST / HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" + body[:100])
    assert isinstance(conn.next_event(), RequestHead)
    respond(conn, 200, [("Content-Length", "0")])
    assert conn.keep_alive
    conn.start_next_cycle()
    assert conn.next_event() is NEED_DATA
    conn.receive_data(body[100:] + b"GET /next HTTP/1.1\r\n\r\n")
    assert request(conn).path == "/next"


def test_unread_chunked_body_is_drained():
    conn = new_conn(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"3\r\nabc\r\n0\r\n\r\nGET /next HTTP/1.1\r\n\r\n")
    assert isinstance(conn.next_event(), RequestHead)
    respond(conn, 200, [("Content-Length", "0")])
    conn.start_next_cycle()
    assert request(conn).path == "/next"


def test_drain_limit_closes_instead_of_reading_on():
    conn = new_conn(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", drain_limit=100)
    assert isinstance(conn.next_event(), RequestHead)
    respond(conn, 200, [("Content-Length", "0")])
    conn.start_next_cycle()
    conn.receive_data(b"40\r\n" + b"a" * 64 + b"\r\n")
    assert conn.next_event() is NEED_DATA      # 64 bytes discarded, under the limit
    conn.receive_data(b"40\r\n" + b"a" * 64 + b"\r\n")
    assert conn.next_event() is CONNECTION_CLOSED
    assert conn.their_state is C.MUST_CLOSE and not conn.keep_alive


def test_known_oversized_unread_body_says_close_in_the_head():
    conn = new_conn(b"POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n", drain_limit=100)
    assert isinstance(conn.next_event(), RequestHead)
    out = respond(conn, 413, [("Content-Length", "0")])
    assert head_of(out)["Connection"] == "close" and not conn.keep_alive
    # read bodies are not held against the limit
    conn = new_conn(b"POST / HTTP/1.1\r\nContent-Length: 1000\r\n\r\n" + b"q" * 1000,
                    drain_limit=100)
    request(conn)
    assert head_of(respond(conn, 200, [("Content-Length", "0")]))["Connection"] == "keep-alive"


def test_bad_drained_body_just_ends_the_connection():
    conn = new_conn(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert isinstance(conn.next_event(), RequestHead)
    respond(conn, 200, [("Content-Length", "0")])
    conn.start_next_cycle()
    conn.receive_data(b"zz\r\n")
    # no answer is possible after the response: the connection ends quietly
    assert conn.next_event() is CONNECTION_CLOSED
    assert not conn.keep_alive


# ---------------------------------------------------------------- Transfer-Encoding lists (item 8)


@pytest.mark.parametrize("fields", [
    [b", chunked"], [b"chunked,"], [b"chunked , "], [b",chunked,"],
    [b"chunked", b""], [b"", b"chunked"],
])
def test_empty_transfer_coding_elements_are_501(fields):
    raw = (b"POST / HTTP/1.1\r\n" + b"".join(b"Transfer-Encoding: %s\r\n" % f for f in fields)
           + b"\r\n0\r\n\r\n")
    conn = new_conn(raw)
    with pytest.raises(E.UnsupportedTransferCoding) as info:
        conn.next_event()
    assert conn.send_error(info.value).startswith(b"HTTP/1.1 501 Not Implemented\r\n")


# ---------------------------------------------------------------- bare LF in chunk-size lines (item 12)


@pytest.mark.parametrize("line", [b"1a\n", b"3f\n", b"0a\n", b"1;x=y\n"])
def test_chunk_size_line_ended_by_bare_lf(line):
    # read as if the character before the LF were a CR, these would be valid
    # (and shorter) chunk-size lines: a smuggling shape (RFC 9112 section 2.2)
    conn = new_conn(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + line
                    + b"abc\r\n0\r\n\r\n")
    assert isinstance(conn.next_event(), RequestHead)
    with pytest.raises(E.InvalidChunkSize):
        events(conn)


# ---------------------------------------------------------------- PROXY prefix, limits, misc


def test_proxy_prefix_then_requests():
    conn = new_conn(b"PROXY TCP4 1.2.3.4 5.6.7.8 10 20\r\nGET / HTTP/1.1\r\n\r\n",
                    proxy_protocol="v1")
    assert request(conn).path == "/"
    assert conn.proxy_protocol_info["client_addr"] == "1.2.3.4"
    respond(conn, 200, [("Content-Length", "0")])
    conn.start_next_cycle()
    # only before the first request
    conn.receive_data(b"PROXY TCP4 1.2.3.4 5.6.7.8 10 20\r\n\r\n")
    with pytest.raises(E.InvalidRequestLine):
        conn.next_event()


def test_limits_come_from_the_settings():
    conn = new_conn(b"GET /" + b"a" * 100 + b" HTTP/1.1\r\n\r\n", limit_request_line=50)
    with pytest.raises(E.LimitRequestLine):
        conn.next_event()
    conn = new_conn(b"GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limit_request_fields=2)
    with pytest.raises(E.LimitRequestHeaders):
        conn.next_event()


def test_receive_data_never_aliases_a_callers_bytearray():
    data = bytearray(b"GET / HTTP/1.1\r\n")
    conn = new_conn()
    conn.receive_data(data)
    data[:] = b"XXXXXXXXXXXXXXXX"
    conn.receive_data(b"\r\n")
    assert request(conn).path == "/"


def test_expected_content_sizes_reads():
    conn = new_conn(b"POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n0123456789")
    assert conn.expected_content() is None
    assert isinstance(conn.next_event(), RequestHead)
    assert conn.expected_content() == 100
    conn.next_event()
    assert conn.expected_content() == 90


def test_connection_for_a_request_parsed_elsewhere():
    conn = ServerConnection.for_request("GET", (1, 0), keep_alive=False)
    out = respond(conn, 200, [("Content-Length", "2")], b"ok")
    assert out.startswith(b"HTTP/1.0 200 OK\r\n") and head_of(out)["Connection"] == "close"
    with pytest.raises(LocalProtocolError):
        conn.receive_data(b"x")
    conn = ServerConnection.for_request("POST", (1, 1), expect_100=True)
    assert conn.client_is_waiting_for_100_continue
    assert conn.send(InformationalResponse(100)) == b"HTTP/1.1 100 Continue\r\n\r\n"


def test_every_observed_transition_is_in_the_tables():
    """Drive complete exchanges and check each state change against the tables
    (the hot paths assign the table's target directly)."""
    seen = []

    def step(conn, action, kind, side):
        before = (conn.their_state, conn.our_state)
        result = action()
        after = (conn.their_state, conn.our_state)
        index = 0 if side == "theirs" else 1
        if before[index] is not after[index]:
            seen.append((side, before[index], kind, after[index]))
        return result

    conn = new_conn(b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok")
    head = step(conn, conn.next_event, RequestHead, "theirs")
    # a request head gives our side a response to send (RFC 9112 section 2.1)
    assert isinstance(head, RequestHead) and conn.our_state is C.SEND_RESPONSE
    step(conn, conn.next_event, Data, "theirs")
    step(conn, conn.next_event, EndOfMessage, "theirs")
    step(conn, lambda: conn.send(InformationalResponse(103)), InformationalResponse, "ours")
    step(conn, lambda: conn.send(Response(200, [("Content-Length", "1")])), Response, "ours")
    step(conn, lambda: conn.send(Data(b"x")), Data, "ours")
    step(conn, lambda: conn.send(EndOfMessage()), EndOfMessage, "ours")
    conn = new_conn(b"GET / HTTP/1.1\r\nBad Name: x\r\n\r\n")
    with pytest.raises(E.InvalidHeaderName) as info:
        conn.next_event()
    step(conn, lambda: conn.send_error(info.value), ErrorResponse, "ours")
    for side, before, kind, after in seen:
        table = C.THEIR_TRANSITIONS if side == "theirs" else C.OUR_TRANSITIONS
        assert table[(before, kind)] is after, (side, before, kind, after)
    # head, end of request; head, end of response; the error page
    assert len(seen) == 5
