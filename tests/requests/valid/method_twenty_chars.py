request = {
    'method': 'ABCDEFGHIJKLMNOPQRST',
    'uri': uri('/dav/'),
    'version': (1, 1),
    'headers': [('HOST', 'dav')],
    'body': b'',
}
