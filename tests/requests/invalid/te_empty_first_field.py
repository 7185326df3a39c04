# An empty Transfer-Encoding field before the one naming chunked (501).
from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
