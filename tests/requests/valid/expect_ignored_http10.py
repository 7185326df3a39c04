# 100-continue is ignored on HTTP/1.0 (RFC 9110 section 10.1.1).
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 0),
    'headers': [
        ('EXPECT', '100-continue'),
        ('CONTENT-LENGTH', '2'),
    ],
    'body': b'hi',
}
