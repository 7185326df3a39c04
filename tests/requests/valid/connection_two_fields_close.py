# Connection options from all Connection fields form one list (RFC 9110 section 7.6.1).
request = [
    {
        'method': 'GET',
        'uri': uri('/1'),
        'version': (1, 1),
        'headers': [
            ('CONNECTION', 'keep-alive'),
            ('CONNECTION', 'close'),
        ],
        'body': b'',
    },
]
