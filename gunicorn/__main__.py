"""``python -m gunicorn``: the same entry point as the ``gunicorn`` script."""

from gunicorn.app.wsgiapp import run

if __name__ == "__main__":
    run(prog="gunicorn")
