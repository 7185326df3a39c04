request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('HOST', '[::1]:8080')],
    'body': b'',
}
