request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('OK', 'z')],
    'body': b'',
}
