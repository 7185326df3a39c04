request = {
    'method': 'GET',
    'uri': uri('/q'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '4')],
    'body': b'body',
}
