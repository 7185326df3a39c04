request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-FORWARDED-PROTO', 'https'),
        ('X-FORWARDED-SSL', 'on'),
    ],
    'body': b'',
    'scheme': 'https',
}
