# asterisk-form is allowed with OPTIONS (RFC 9112 section 3.2.4).
request = {
    'method': 'OPTIONS',
    'uri': uri('*', path='*'),
    'version': (1, 1),
    'headers': [('HOST', 'example.com')],
    'body': b'',
}
