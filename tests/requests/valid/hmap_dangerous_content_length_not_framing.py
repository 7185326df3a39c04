# Content_Length is not Content-Length: no body.
cfg.set('header_map', 'dangerous')
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('CONTENT_LENGTH', '5'),
        ('CONNECTION', 'close'),
    ],
    'body': b'',
}
