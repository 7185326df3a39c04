cfg.set('proxy_protocol', 'v1')
request = {
    'method': 'GET',
    'uri': uri('/'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
    'proxy_protocol_info': {
        'client_addr': '0.0.0.0',
        'client_port': 0,
        'proxy_addr': '255.255.255.255',
        'proxy_port': 65535,
    },
}
