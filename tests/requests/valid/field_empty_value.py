request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-EMPTY', ''),
        ('X-BLANK', ''),
        ('X-AFTER', '1'),
    ],
    'body': b'',
}
