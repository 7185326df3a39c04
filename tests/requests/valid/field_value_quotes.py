request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-LIST', 'a, "b,c", d'),
        ('IF-NONE-MATCH', 'W/"xyz"'),
    ],
    'body': b'',
}
