# A PROXY line is only recognised at the start of the connection.
from gunicorn.http.errors import InvalidRequestLine

cfg.set('proxy_protocol', 'v1')
request = InvalidRequestLine
