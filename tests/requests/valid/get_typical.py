request = {
    'method': 'GET',
    'uri': uri('/search?q=corpus&lang=en'),
    'version': (1, 1),
    'headers': [
        ('HOST', 'www.example.org'),
        ('USER-AGENT', 'corpus-client/2.1 (X11; Linux)'),
        ('ACCEPT', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'),
        ('ACCEPT-LANGUAGE', 'en-GB,en;q=0.5'),
        ('ACCEPT-ENCODING', 'gzip, deflate, br'),
        ('COOKIE', 'session=abc123; theme=dark'),
    ],
    'body': b'',
}
