"""Notice numbers: per round and kind, in order, never reused, under the round's code."""
from datetime import date

import pytest

from survey.models import Notice
from survey.notices.numbering import format_number, issue_notice
from tests import factories


def _second_round(db, world):
    from survey.filling import operations as filling
    versions = [world["round"].self_check_version, world["round"].onsite_version]
    rnd = filling.create_round(world["admin"], name="另一批次", code="2024", starts_on=date(2024, 1, 1),
                               ends_on=date(2024, 12, 31), self_check_deadline=date(2024, 4, 30),
                               self_check_version=versions[0], onsite_version=versions[1],
                               units=[world["unit"]])
    db.session.commit()
    return rnd


def test_numbers_count_per_round_and_kind(db):
    world = factories.make_ledger_world(db)
    rnd, other, unit = world["round"], _second_round(db, world), world["unit"]
    first = issue_notice(rnd, "duban", unit.id, on=date(2026, 10, 8))
    second = issue_notice(rnd, "duban", unit.id, on=date(2026, 10, 8))
    warn = issue_notice(rnd, "warn", unit.id, on=date(2026, 10, 8))
    elsewhere = issue_notice(other, "duban", unit.id, on=date(2026, 10, 8))
    db.session.commit()
    assert [first.number, second.number] == ["〔2023〕督办第001号", "〔2023〕督办第002号"]
    assert warn.number == "〔2023〕告诫第001号"
    assert (elsewhere.seq, elsewhere.number) == (1, "〔2024〕督办第001号")


def test_a_deleted_notice_number_is_not_given_again(db):
    world = factories.make_ledger_world(db)
    doomed = issue_notice(world["round"], "remind", world["unit"].id)
    db.session.commit()
    db.session.delete(doomed)
    db.session.commit()
    assert issue_notice(world["round"], "remind", world["unit"].id).seq == 2
    db.session.commit()
    assert db.session.query(Notice).count() == 1


def test_unknown_kind_is_refused(db):
    world = factories.make_ledger_world(db)
    with pytest.raises(ValueError):
        issue_notice(world["round"], "nonsense", world["unit"].id)
    assert format_number("2027", "report", 12) == "〔2027〕通报第012号"
