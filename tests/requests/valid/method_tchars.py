request = {
    'method': "X!$%&'*+-.^_`|~9",
    'uri': uri('/dav/'),
    'version': (1, 1),
    'headers': [('HOST', 'dav')],
    'body': b'',
}
