# A leading // is a path, not a network location.
request = {
    'method': 'GET',
    'uri': uri('//double//slash', path='//double//slash'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
