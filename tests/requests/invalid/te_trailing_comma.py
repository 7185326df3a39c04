# An empty element after chunked (501, as gunicorn 27.0).
from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
