request = {
    'method': 'PUT',
    'uri': uri('/up'),
    'version': (1, 1),
    'headers': [
        ('EXPECT', '100-Continue'),
        ('TRANSFER-ENCODING', 'chunked'),
    ],
    'body': b'abc',
}
