# A field line whose length including CRLF equals limit_request_field_size.
cfg.set('limit_request_field_size', 40)
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-FIELD', 'vvvvvvvvvvvvvvvvvvvvvvvvvvvvv')],
    'body': b'',
}
