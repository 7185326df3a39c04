# Ordinary fields may repeat; order is kept.
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [
        ('ACCEPT', 'text/html'),
        ('X-DUP', '1'),
        ('ACCEPT', 'text/plain'),
        ('X-DUP', '2'),
    ],
    'body': b'',
}
