# Any HTTP/1.x minor version is accepted (RFC 9112 section 2.3).
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 2),
    'headers': [('HOST', 'a')],
    'body': b'',
}
