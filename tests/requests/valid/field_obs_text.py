# obs-text (0x80-0xFF) is legal in values.
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-NAME', 'café ÿ\x80')],
    'body': b'',
}
