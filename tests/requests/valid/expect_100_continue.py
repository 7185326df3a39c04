request = {
    'method': 'PUT',
    'uri': uri('/up'),
    'version': (1, 1),
    'headers': [
        ('EXPECT', '100-continue'),
        ('CONTENT-LENGTH', '5'),
    ],
    'body': b'hello',
}
