"""The filling blueprint. Its routes are in the package's views*.py modules, which
survey.register_blueprints imports."""
from flask import Blueprint

bp = Blueprint("filling", __name__)
