request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [('TRANSFER-ENCODING', 'deflate ,\tchunked')],
    'body': b'z',
}
