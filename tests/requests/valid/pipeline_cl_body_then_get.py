request = [
    {
        'method': 'POST',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('CONTENT-LENGTH', '10')],
        'body': b'0123456789',
    },
    {
        'method': 'GET',
        'uri': uri('/2'),
        'version': (1, 1),
        'headers': [],
        'body': b'',
    },
]
