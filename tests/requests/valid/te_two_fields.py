# Two Transfer-Encoding fields form one list ending in chunked.
request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [
        ('TRANSFER-ENCODING', 'gzip'),
        ('TRANSFER-ENCODING', 'chunked'),
    ],
    'body': b'z',
}
