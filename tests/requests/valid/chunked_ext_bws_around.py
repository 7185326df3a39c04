# BWS around ';' and '=' (RFC 9112 section 7.1.1).
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'chunked')],
    'body': b'hello',
}
