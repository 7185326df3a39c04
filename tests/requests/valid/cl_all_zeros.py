request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '0000')],
    'body': b'',
}
