# Empty list elements are ignored (RFC 9110 section 5.6.1).
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', ',chunked,')],
    'body': b'z',
}
