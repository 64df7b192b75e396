"""The bare Flask app the benchmark compares the pages with (``bench/run.py``).

Nothing but Flask: no database, no session, no user, no translations. It is served by its own
gunicorn with the app server's settings, so "page / hello" is the share of a bare Flask
request's speed that a page keeps.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello():
    return "hello", 200, {"Content-Type": "text/plain; charset=utf-8"}
