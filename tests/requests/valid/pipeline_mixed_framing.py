request = [
    {
        'method': 'POST',
        'uri': uri('/a'),
        'version': (1, 1),
        'headers': [('TRANSFER-ENCODING', 'chunked')],
        'body': b'abc',
    },
    {
        'method': 'PUT',
        'uri': uri('/b'),
        'version': (1, 1),
        'headers': [('CONTENT-LENGTH', '2')],
        'body': b'de',
    },
    {
        'method': 'DELETE',
        'uri': uri('/c'),
        'version': (1, 1),
        'headers': [],
        'body': b'',
    },
    {
        'method': 'POST',
        'uri': uri('/d'),
        'version': (1, 1),
        'headers': [('TRANSFER-ENCODING', 'chunked')],
        'body': b'f',
        'trailers': [('X-T', '1')],
    },
]
