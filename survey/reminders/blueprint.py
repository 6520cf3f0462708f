"""The ladder's admin page, linked from the round page. Routes in views.py."""
from flask import Blueprint

bp = Blueprint("reminders", __name__)
