# quoted-string with quoted-pair in a chunk-ext.
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'chunked')],
    'body': b'hello',
}
