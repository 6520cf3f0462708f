"""The notices blueprint. Its routes are in the package's views*.py modules, which
survey.register_blueprints imports."""
from flask import Blueprint

bp = Blueprint("notices", __name__)
