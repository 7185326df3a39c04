cfg.set('permit_unconventional_http_method', True)
request = {
    'method': 'X',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
