# strip_header_spaces (unsafe, opt-in) removes whitespace before the colon.
cfg.set('strip_header_spaces', True)
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-SPACE', 'v')],
    'body': b'',
}
