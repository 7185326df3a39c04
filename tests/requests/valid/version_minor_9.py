request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 9),
    'headers': [],
    'body': b'',
}
