"""The links blueprint. Its routes are in the package's views*.py modules, which
survey.register_blueprints imports."""
from flask import Blueprint

bp = Blueprint("links", __name__)
