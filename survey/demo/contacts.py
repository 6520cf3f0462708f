"""Each demo unit's 分管领导 and 主要负责人 (the reminder ladder's LEADER and HEAD), made up."""
from __future__ import annotations

from survey.models import ContactRole, Unit, UnitContact

GIVEN = ("建国", "志强", "秀英", "海燕", "国华", "丽娟", "卫东", "晓明", "红梅", "德胜")
SURNAMES = ("陈", "刘", "杨", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡", "郭")


def demo_contacts(units: list[Unit]) -> list[UnitContact]:
    out = []
    for i, unit in enumerate(units):
        for j, role in enumerate(ContactRole):
            name = SURNAMES[(i + j * 5) % len(SURNAMES)] + GIVEN[(i * 3 + j) % len(GIVEN)]
            out.append(UnitContact(unit_id=unit.id, role=role.value, name=name,
                                   phone=f"1380{j + 1}{i + 1:06d}", email=f"{role.value}{unit.id}@demo.gov.cn",
                                   wecom_id=f"{role.value}-{unit.id}", dingtalk_id=f"1380{j + 1}{i + 1:06d}"))
    return out
