request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-PAD', 'value with  spaces')],
    'body': b'',
}
