request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('CONNECTION', 'keep-alive')],
        'body': b'',
    },
    {
        'method': 'GET',
        'uri': uri('/2'),
        'version': (1, 1),
        'headers': [('CONNECTION', 'close')],
        'body': b'',
    },
]
