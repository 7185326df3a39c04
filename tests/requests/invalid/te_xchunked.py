from gunicorn.http.errors import UnsupportedTransferCoding

request = UnsupportedTransferCoding
