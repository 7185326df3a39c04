# A coding before chunked is passed through and forces the connection to close.
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'gzip, chunked')],
    'body': b'\x1f\x8b\x08\x00',
}
