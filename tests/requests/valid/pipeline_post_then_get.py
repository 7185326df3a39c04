request = [
    {
        'method': 'POST',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('CONTENT-LENGTH', '5')],
        'body': b'hello',
    },
    {
        'method': 'GET',
        'uri': uri('/2'),
        'version': (1, 1),
        'headers': [],
        'body': b'',
    },
]
