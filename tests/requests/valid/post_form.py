request = {
    'method': 'POST',
    'uri': uri('/login'),
    'version': (1, 1),
    'headers': [
        ('HOST', 'example.com'),
        ('CONTENT-TYPE', 'application/x-www-form-urlencoded'),
        ('CONTENT-LENGTH', '27'),
    ],
    'body': b'user=alice&password=s3cr3t!',
}
