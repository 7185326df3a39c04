# A huge Content-Length cut short by EOF: the bytes that came are the body.
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '99999999999999999999')],
    'body': b'hello',
}
