"""A module that cannot be imported (the application is broken)."""

raise RuntimeError("arbiter_asgi_broken cannot be imported")
