# A connection closed before any byte yields no request (StopIteration).
request = []
