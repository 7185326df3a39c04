request = {
    'method': 'GET',
    'uri': uri('/index.html'),
    'version': (1, 1),
    'headers': [('HOST', 'example.com')],
    'body': b'',
}
