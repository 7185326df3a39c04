cfg.set('header_map', 'dangerous')
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X_FORWARDED_FOR', '10.0.0.1')],
    'body': b'',
}
