# header_map drop applies to trailers too.
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'chunked')],
    'body': b'',
    'trailers': [('X-Z', '2')],
}
