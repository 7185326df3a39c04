# HTTP/1.0 keeps the connection only with Connection: keep-alive.
request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 0),
        'headers': [('CONNECTION', 'keep-alive')],
        'body': b'',
    },
    {
        'method': 'GET',
        'uri': uri('/2'),
        'version': (1, 0),
        'headers': [],
        'body': b'',
    },
]
