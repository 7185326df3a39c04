# With absolute-form the target wins over Host (RFC 9112 section 3.2.2); both are kept.
request = {
    'method': 'GET',
    'uri': uri('http://a.example/x'),
    'version': (1, 1),
    'headers': [('HOST', 'b.example')],
    'body': b'',
}
