request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [("X!#$%&'*+-.^`|~09AZ", 'ok')],
    'body': b'',
}
