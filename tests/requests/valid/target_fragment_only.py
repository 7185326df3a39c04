request = {
    'method': 'GET',
    'uri': uri('/page#top'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
