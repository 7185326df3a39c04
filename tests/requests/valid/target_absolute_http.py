request = {
    'method': 'GET',
    'uri': uri('http://example.com/a/b?x=1'),
    'version': (1, 1),
    'headers': [('HOST', 'example.com')],
    'body': b'',
}
