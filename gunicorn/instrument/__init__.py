"""Metrics back ends for the logger (``gunicorn.instrument.statsd.Statsd``)."""
