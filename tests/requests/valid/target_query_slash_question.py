# '?' and '/' are legal inside the query (RFC 3986 section 3.4).
request = {
    'method': 'GET',
    'uri': uri('/p?a=/b?c=d&e'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
