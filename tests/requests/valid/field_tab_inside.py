request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('X-TAB', 'a\tb \t c')],
    'body': b'',
}
