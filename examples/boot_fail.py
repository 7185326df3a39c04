"""An application module that fails while it is imported.

``gunicorn --chdir examples boot_fail:app`` shows what happens when the app cannot
load: each worker logs the traceback and exits with the "boot error" status (3),
and the arbiter then stops with ``Reason: Worker failed to boot.``
"""

raise RuntimeError("boot_fail.py refuses to load, on purpose")
