request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('CONTENT-TYPE', 'text/plain; charset=utf-8'),
        ('CONTENT-LENGTH', '2'),
    ],
    'body': b'ok',
}
