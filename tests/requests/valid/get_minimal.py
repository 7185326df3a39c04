# Smallest HTTP/1.1 request: no fields at all (Host is not enforced).
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
