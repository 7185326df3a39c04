request = {
    'method': 'CONNECT',
    'uri': uri('[2001:db8::1]:443', path='[2001:db8::1]:443'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
