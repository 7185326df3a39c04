# header_map drop (default): names with '_' vanish silently.
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('X-REAL', '1'),
        ('X-AFTER', '2'),
    ],
    'body': b'',
}
