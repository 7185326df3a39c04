cfg.set('limit_request_fields', 3)
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('A', '1'),
        ('B', '2'),
        ('C', '3'),
    ],
    'body': b'',
}
