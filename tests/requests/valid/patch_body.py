request = {
    'method': 'PATCH',
    'uri': uri('/doc'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '3')],
    'body': b'abc',
}
