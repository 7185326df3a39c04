request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-FORWARDED-PROTO', 'http')],
    'body': b'',
    'scheme': 'http',
}
