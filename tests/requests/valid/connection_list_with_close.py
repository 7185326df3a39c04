# A 'close' option anywhere in the Connection list closes (RFC 9112 section 9.6).
request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('CONNECTION', 'keep-alive, close')],
        'body': b'',
    },
]
