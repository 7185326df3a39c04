request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '24')],
    'body': b'line1\nline2\r\n\nline3\r\nend',
}
