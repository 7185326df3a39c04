# '#' is a tchar (RFC 9110 section 5.6.2).
cfg.set('permit_unconventional_http_method', True)
request = {
    'method': 'GE#T',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
