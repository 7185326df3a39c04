request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-PAD', '\x85v\x85')],
    'body': b'',
}
