"""Before, during and after a visit: the self-check vs on-site comparison, the 问诊 pack, the 问诊报告."""
from flask import Blueprint

bp = Blueprint("visits", __name__)

from survey.visits import views  # noqa: E402,F401
