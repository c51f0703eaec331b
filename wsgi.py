"""WSGI entry point: `gunicorn wsgi:app`."""

from app import create_app
from config import config_from_env

app = create_app(config_from_env())
