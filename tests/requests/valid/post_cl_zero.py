request = {
    'method': 'POST',
    'uri': uri('/ping'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '0')],
    'body': b'',
}
