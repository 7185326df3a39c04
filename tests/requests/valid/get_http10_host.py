request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 0),
    'headers': [('HOST', 'legacy.example')],
    'body': b'',
}
