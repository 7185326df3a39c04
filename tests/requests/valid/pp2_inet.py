cfg.set('proxy_protocol', 'v2')
request = {
    'method': 'GET',
    'uri': uri('/v2'),
    'version': (1, 1),
    'headers': [('HOST', 'h')],
    'body': b'',
    'proxy_protocol_info': {
        'client_addr': '192.168.0.1',
        'client_port': 56324,
        'proxy_addr': '192.168.0.11',
        'proxy_port': 443,
    },
}
