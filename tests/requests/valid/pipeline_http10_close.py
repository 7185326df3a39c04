request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 0),
        'headers': [],
        'body': b'',
    },
]
