# The legacy alias x-gzip is not a coding we pass through: 501.
from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
