"""`python -m bench.bench_round` (DATABASE_URL, INSTANCE_PATH set), after `flask seed-demo --empty`:
one blank round over every unit, dated around today, for the load benches that open and fill
every unit's self-check and visit (the living demo has most of them submitted already)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from survey import create_app
from survey.clock import today
from survey.database import writing
from survey.extensions import db
from survey.filling.operations import create_round
from survey.models import QuestionnaireVersion, Unit, User

ROUND = "压测检查批次"


def main() -> None:
    app = create_app()
    with app.app_context(), writing():
        admin = db.session.scalar(select(User).where(User.username == "admin"))
        forms = list(db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.id)))
        t = today()
        create_round(admin, name=ROUND, code="YC", starts_on=t - timedelta(days=10), ends_on=t + timedelta(days=90),
                     self_check_deadline=t + timedelta(days=30), self_check_version=forms[0],
                     onsite_version=forms[1], units=list(db.session.scalars(select(Unit).order_by(Unit.id))))
        db.session.commit()


if __name__ == "__main__":
    main()
