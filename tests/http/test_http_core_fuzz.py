"""Mutated requests only ever raise the parse errors (never a traceback-class error)."""

import random

from gunicorn.config import Config
from gunicorn.http import RequestParser
from gunicorn.http import errors as E

SEEDS = [
    b"GET /a?b=c HTTP/1.1\r\nHost: x\r\nX-A: b\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\n",
    b"PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\nGET / HTTP/1.0\r\n\r\n",
]
ALLOWED = (E.ParseException, E.NoMoreData, E.InvalidChunkSize, E.ChunkMissingTerminator)
ALPHABET = b"\r\n :;,\t\x00\x7f\xff0aAzZ_-/*?#\"\\"


def mutate(rnd, data):
    data = bytearray(data)
    for _ in range(rnd.randint(1, 4)):
        op = rnd.randrange(3)
        pos = rnd.randrange(len(data) + 1)
        if op == 0 and data:
            del data[min(pos, len(data) - 1)]
        elif op == 1:
            data.insert(pos, rnd.choice(ALPHABET))
        elif data:
            data[min(pos, len(data) - 1)] = rnd.choice(ALPHABET)
    return bytes(data)


def test_mutations_raise_only_parse_errors():
    rnd = random.Random(20260)
    cfg = Config()
    cfg.set("proxy_protocol", "auto")
    for _ in range(3000):
        data = mutate(rnd, rnd.choice(SEEDS))
        step = rnd.randint(1, 9)
        parts = [data[i:i + step] for i in range(0, len(data), step)]
        try:
            for req in RequestParser(cfg, parts, None):
                req.body.read()
        except ALLOWED as exc:
            assert isinstance(exc.status_code, int) and exc.reason
