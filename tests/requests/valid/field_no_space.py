request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-A', 'b'),
        ('X-C', 'd'),
    ],
    'body': b'',
}
