request = {
    'method': 'M-SEARCH',
    'uri': uri('/dav/'),
    'version': (1, 1),
    'headers': [('HOST', 'dav')],
    'body': b'',
}
