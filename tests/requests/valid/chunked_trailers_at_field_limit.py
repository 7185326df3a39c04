cfg.set('limit_request_fields', 2)
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'chunked')],
    'body': b'',
    'trailers': [
        ('A', '1'),
        ('B', '2'),
    ],
}
