# Every pchar of RFC 3986 in a path.
request = {
    'method': 'GET',
    'uri': uri("/!$&'()*+,;=:@-._~/x"),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
