"""Example Django project served by gunicorn."""
