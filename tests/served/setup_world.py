"""Run as `python -m tests.served.setup_world` with DATABASE_URL and INSTANCE_PATH set: migrates an
empty database, seeds the demo district as `make run` does, then adds the reliability suite's
miniature district (self-checks, visits, problems, photos, evidence, export jobs) so that every
download route has something to serve. Prints the ids the served-route test needs, as JSON."""
from __future__ import annotations

import json
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, select

from survey import create_app
from survey.extensions import db
from survey.links.operations import issue_link
from survey.links.tokens import make_token
from survey.models import Channel, Delivery, Round
from survey.seed import seed_demo
from tests.reliability import world as world_module


def main() -> None:
    app = create_app()
    with app.app_context():
        upgrade()
        seed_demo()
        db.session.commit()
        world = world_module.build(db, Path(app.instance_path))
        first = world.units[0]
        rnd = db.session.get(Round, world.round_id)
        link = issue_link(world.admin, rnd, first.unit)
        channel = Channel(owner_kind="unit", owner_id=first.unit.id, kind="wecom", label="served",
                          url="wxbots://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=served-key")
        db.session.add(channel)
        db.session.flush()
        db.session.add(Delivery(message_id=first.ids["message"][0], channel_id=channel.id, status="dead",
                                attempts=5, last_error="HTTP 500"))
        db.session.commit()
        demo_round = db.session.scalar(select(func.min(Round.id)))
        print(json.dumps({"round_id": world.round_id, "demo_round_id": demo_round,
                          "ids": {k: v[0] for k, v in first.ids.items()},
                          "link": f"/l/{make_token(link.id, link.nonce)}",
                          "liaison": first.liaison.username,
                          "inspector": world.inspectors[first.group_index].username}))


if __name__ == "__main__":
    main()
