request = {
    'method': 'REPORT',
    'uri': uri('/dav/'),
    'version': (1, 1),
    'headers': [('HOST', 'dav')],
    'body': b'',
}
