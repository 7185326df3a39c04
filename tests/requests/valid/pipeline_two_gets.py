request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('HOST', 'a')],
        'body': b'',
    },
    {
        'method': 'GET',
        'uri': uri('/2'),
        'version': (1, 1),
        'headers': [('HOST', 'b')],
        'body': b'',
    },
]
