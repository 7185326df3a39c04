cfg.set('limit_request_line', 40)
request = {
    'method': 'GET',
    'uri': uri('/bbbbbbbbbbbbbbbbbbbbbbbbbb'),
    'version': (1, 1),
    'headers': [('HOST', 'x')],
    'body': b'',
}
