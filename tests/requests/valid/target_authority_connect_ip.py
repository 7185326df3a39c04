request = {
    'method': 'CONNECT',
    'uri': uri('127.0.0.1:8443'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
