# Nothing after a request with Connection: close is parsed.
request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [('CONNECTION', 'close')],
        'body': b'',
    },
]
