# One empty line before the request-line is ignored (RFC 9112 section 2.2).
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('HOST', 'x')],
    'body': b'',
}
