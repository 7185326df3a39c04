request = {
    'method': 'POST',
    'uri': uri('/c'),
    'version': (1, 1),
    'headers': [
        ('TRANSFER-ENCODING', 'chunked'),
        ('TRAILER', 'X-Checksum'),
    ],
    'body': b'hello',
    'trailers': [
        ('X-CHECKSUM', 'abc123'),
        ('X-MORE', '1'),
    ],
}
