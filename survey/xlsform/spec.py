"""A questionnaire as plain data: what the workbook reader produces and the writer consumes."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class QuestionSpec:
    name: str
    type: str
    label: str = ""
    hint: str = ""
    required: bool = False
    required_message: str = ""
    choice_list: str | None = None
    appearance: str = ""
    parameters: dict = field(default_factory=dict)
    points: int | None = None
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    problem_if: str = ""
    problem_category: str = ""
    problem_severity: str = ""
    row: int = 0


@dataclass
class SectionSpec:
    name: str
    title: str
    hint: str = ""
    relevant: str = ""
    questions: list[QuestionSpec] = field(default_factory=list)
    row: int = 0


@dataclass
class FormSpec:
    title: str
    form_id: str
    kind: str = "general"
    version_label: str = ""
    sections: list[SectionSpec] = field(default_factory=list)
    choices: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def questions(self) -> list[QuestionSpec]:
        return [q for s in self.sections for q in s.questions]


@dataclass
class RowError:
    """Where a workbook (or a form on screen) is wrong, in Chinese."""

    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.sheet} 表第 {self.row} 行" if self.row else f"{self.sheet} 表"
        column = f"“{self.column}”列" if self.column else ""
        return f"{where}{column}：{self.message}"
