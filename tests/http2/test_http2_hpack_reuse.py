"""The protocol's HPACK coders reuse the result of a field block that left
the dynamic table unchanged (RFC 7541 section 2.3.2: the table is the only
state).  Checked against hpack's own coders, step by step, with the table
changing between repeats."""

from __future__ import annotations

from hpack import Decoder, Encoder, NeverIndexedHeaderTuple
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gunicorn.http2.core import _BoundedEncoder, _CapturingDecoder

NAMES = [b":status", b"content-type", b"x-a", b"x-b", b"date", b"set-cookie"]
VALUES = [b"200", b"404", b"text/plain", b"1", b"22", b"a" * 40, b"b" * 300]


def _field(draw_name: bytes, value: bytes, kind: int) -> tuple:
    if kind == 1:
        return NeverIndexedHeaderTuple(draw_name, value)
    if kind == 2:
        return (draw_name, value, True)  # hpack's "sensitive" 3-tuple
    return (draw_name, value)


fields = st.builds(_field, st.sampled_from(NAMES), st.sampled_from(VALUES),
                   st.sampled_from([0, 0, 0, 0, 1, 2]))
step = st.one_of(
    st.lists(fields, min_size=1, max_size=5),
    st.sampled_from([256, 4096, 0, 60, 4096]),  # a SETTINGS_HEADER_TABLE_SIZE change
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(step, min_size=1, max_size=40), st.integers(0, 3))
def test_encoder_blocks_match_hpack_and_decode_back(steps, repeats):
    ours, theirs = _BoundedEncoder(), Encoder()
    reader = Decoder()
    resized = False
    for item in steps:
        if isinstance(item, int):
            # one size change between blocks (hpack's encoder loses the first
            # of two: its resized flag follows the last one)
            if not resized:
                ours.header_table_size = theirs.header_table_size = item
            resized = True
            continue
        resized = False
        for _ in range(1 + repeats):
            block = ours.encode(list(item))
            assert block == theirs.encode(list(item))
            decoded = reader.decode(block, raw=True)
            assert [(n, v) for n, v in decoded] == [(f[0], f[1]) for f in item]


def test_encoder_reuses_a_block_only_while_the_table_is_unchanged():
    enc = _BoundedEncoder()
    fresh = [(b":status", b"200"), (b"x-a", b"1")]
    first = enc.encode(list(fresh))  # x-a: 1 enters the table
    again = enc.encode(list(fresh))  # now indexed: the table stays
    assert again != first and enc._cache
    assert enc.encode(list(fresh)) is again
    enc.encode([(b"x-b", b"22")])  # a new entry moves x-a: 1 to index 63
    moved = enc.encode(list(fresh))
    assert moved != again
    assert Decoder().decode(first + again + enc.encode([(b"x-b", b"22")]), raw=True)


blocks = st.lists(st.lists(fields, min_size=1, max_size=4), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks, st.lists(st.integers(0, 29), max_size=30), st.sampled_from([4096, 256, 0]))
def test_decoder_results_match_hpack(field_lists, replays, table_size):
    """Blocks of an encoder, and blocks sent before sent again (the same
    bytes, perhaps another meaning now): each decodes as hpack decodes it,
    or fails where hpack fails."""
    writer = Encoder()
    writer.header_table_size = table_size
    ours, theirs = _CapturingDecoder(1 << 20), Decoder()
    sent = []
    for i, item in enumerate(field_lists):
        block = writer.encode(list(item))
        sent.append(block)
        todo = [block]
        if i < len(replays) and replays[i] < len(sent):
            todo.append(sent[replays[i]])
        for data in todo:
            try:
                expected = theirs.decode(data, raw=True)
            except Exception:
                ours.decode(data)
                assert ours.error
                return
            ours.decode(data)
            assert not ours.error
            assert ours.take() == expected


def test_decoder_reuse_follows_the_table():
    writer = Encoder()
    dec = _CapturingDecoder(1 << 20)
    dec.decode(writer.encode([(b"x-a", b"1")]))  # x-a: 1 at index 62
    indexed = writer.encode([(b"x-a", b"1")])  # just "index 62"
    dec.decode(indexed)
    assert dec.take() == [(b"x-a", b"1")]
    dec.decode(indexed)
    assert dec.take() == [(b"x-a", b"1")]
    dec.decode(writer.encode([(b"x-b", b"22")]))  # x-b: 22 is 62 now
    dec.take()
    dec.decode(indexed)  # the same bytes name the new entry
    assert dec.take() == [(b"x-b", b"22")]


def test_reuse_is_bounded():
    """At most 16 blocks per coder, none with more than 64 fields or over
    1 KiB: a peer repeating blocks cannot make a connection hold more."""
    from gunicorn.http2.core import (
        _CODING_CACHE_BLOCK,
        _CODING_CACHE_FIELDS,
        _CODING_CACHE_SIZE,
    )

    writer = Encoder()
    dec = _CapturingDecoder(1 << 24)
    dec.decode(writer.encode([(b"x-a", b"1")]))
    many = writer.encode([(b"x-a", b"1")] * (_CODING_CACHE_FIELDS + 1))
    dec.decode(many)
    assert len(dec.take()) == _CODING_CACHE_FIELDS + 1 and not dec._cache
    for n in range(1, 3 * _CODING_CACHE_SIZE):
        dec.decode(writer.encode([(b":status", b"200")] * (n % 40 + 1) + [(b"x-a", b"1")] * (n // 40)))
    assert 0 < len(dec._cache) <= _CODING_CACHE_SIZE
    assert all(len(block) <= _CODING_CACHE_BLOCK and len(fields) <= _CODING_CACHE_FIELDS
               for block, fields in dec._cache.items())
    enc = _BoundedEncoder()
    enc.encode([(b"x-a", b"1")])
    enc.encode([(b"x-a", b"1")] * (_CODING_CACHE_FIELDS + 1))
    assert not enc._cache
    for n in range(3 * _CODING_CACHE_SIZE):
        enc.encode([(b":status", b"200")] * (n + 1))
    assert len(enc._cache) == _CODING_CACHE_SIZE
