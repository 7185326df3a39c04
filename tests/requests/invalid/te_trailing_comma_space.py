# An element of only whitespace after chunked (501).
from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
