# NBSP is not whitespace.
from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
