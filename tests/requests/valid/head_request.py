request = {
    'method': 'HEAD',
    'uri': uri('/resource'),
    'version': (1, 1),
    'headers': [('HOST', 'example.com')],
    'body': b'',
}
