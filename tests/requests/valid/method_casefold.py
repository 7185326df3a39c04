cfg.set('permit_unconventional_http_method', True)
cfg.set('casefold_http_method', True)
request = {
    'method': 'POST',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [('CONTENT-LENGTH', '1')],
    'body': b'x',
}
