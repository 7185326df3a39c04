cfg.set('permit_unconventional_http_method', True)
request = {
    'method': 'ABCDEFGHIJKLMNOPQRSTUVWXY',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
