request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-MIXED-CASE', 'Value'),
        ('HOST', 'h'),
    ],
    'body': b'',
}
