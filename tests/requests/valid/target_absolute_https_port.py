request = {
    'method': 'POST',
    'uri': uri('https://example.com:8443/api/v1'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '2')],
    'body': b'{}',
}
