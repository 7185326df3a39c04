# LOCAL (health check) leaves the addresses unset.
cfg.set('proxy_protocol', 'v2')
request = {
    'method': 'GET',
    'uri': uri('/health'),
    'version': (1, 1),
    'headers': [],
    'body': b'',
    'proxy_protocol_info': {
        'client_addr': None,
        'client_port': None,
    },
}
