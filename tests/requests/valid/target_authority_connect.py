# authority-form is allowed with CONNECT (RFC 9112 section 3.2.3).
request = {
    'method': 'CONNECT',
    'uri': uri('example.com:443'),
    'version': (1, 1),
    'headers': [('HOST', 'example.com:443')],
    'body': b'',
}
