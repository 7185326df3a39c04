request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('CONNECTION', 'CLOSE')],
        'body': b'',
    },
]
