cfg.set('proxy_protocol', 'auto')
request = {
    'method': 'GET',
    'uri': uri('/v6'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
    'proxy_protocol_info': {
        'client_addr': '2001:db8::1',
        'client_port': 1234,
        'proxy_addr': '::1',
        'proxy_port': 80,
    },
}
