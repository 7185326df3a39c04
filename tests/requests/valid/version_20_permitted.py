cfg.set('permit_unconventional_http_version', True)
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (2, 0),
    'headers': [('HOST', 'a')],
    'body': b'',
}
