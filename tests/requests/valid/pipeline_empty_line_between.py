request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [],
        'body': b'',
    },
    {
        'method': 'GET',
        'uri': uri('/2'),
        'version': (1, 1),
        'headers': [],
        'body': b'',
    },
]
