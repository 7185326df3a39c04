request = {
    'method': 'OPTIONS',
    'uri': uri('/api'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
