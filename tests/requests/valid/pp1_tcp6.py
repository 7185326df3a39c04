cfg.set('proxy_protocol', True)
request = {
    'method': 'GET',
    'uri': uri('/six'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
    'proxy_protocol_info': {
        'proxy_protocol': 'TCP6',
        'client_addr': '2001:db8::1',
        'client_port': 1024,
        'proxy_addr': '::1',
        'proxy_port': 8080,
    },
}
