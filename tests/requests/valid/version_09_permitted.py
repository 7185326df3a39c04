cfg.set('permit_unconventional_http_version', True)
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (0, 9),
    'headers': [],
    'body': b'',
}
