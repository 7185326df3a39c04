# auto mode accepts a connection without a PROXY header.
cfg.set('proxy_protocol', 'auto')
request = {
    'method': 'GET',
    'uri': uri('/plain'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
}
