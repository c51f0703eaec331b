"""A bare Flask hello world, served the same way as the app: the baseline every figure is compared with."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    """The smallest possible Flask response."""
    return "Hello, World!"
