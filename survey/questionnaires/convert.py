"""Between ORM rows and FormSpec: the one place both directions are written."""
from __future__ import annotations

from survey.models import Question, Questionnaire, QuestionnaireVersion, Section
from survey.xlsform.expressions import parse
from survey.xlsform.spec import FormSpec, QuestionSpec, SectionSpec

QUESTION_FIELDS = ("name", "type", "label", "hint", "required", "required_message", "choice_list",
                   "appearance", "parameters", "points", "relevant", "constraint", "constraint_message",
                   "problem_if", "problem_category", "problem_severity")


QUESTION_DEFAULTS = {"hint": "", "required": False, "required_message": "", "choice_list": None,
                     "appearance": "", "points": None, "relevant": "", "constraint": "",
                     "constraint_message": "", "problem_if": "", "problem_category": "", "problem_severity": ""}


def compile_expression(text: str) -> dict | None:
    """The AST stored beside each expression (already validated)."""
    return parse(text) if text else None


def spec_from_version(version: QuestionnaireVersion) -> FormSpec:
    q = version.questionnaire
    spec = FormSpec(title=version.title, form_id=q.form_id, kind=q.kind,
                    version_label=str(version.settings.get("version", "")),
                    choices={k: [dict(i) for i in v] for k, v in version.choices.items()})
    row = 1
    for section in version.sections:
        row += 1
        s = SectionSpec(name=section.name, title=section.title, hint=section.hint,
                        relevant=section.relevant, row=row)
        for question in section.questions:
            row += 1
            s.questions.append(QuestionSpec(**{f: _copy(getattr(question, f)) for f in QUESTION_FIELDS},
                                            row=row))
        spec.sections.append(s)
    return spec


def _copy(value):
    return dict(value) if isinstance(value, dict) else value


def fill_version(version: QuestionnaireVersion, spec: FormSpec) -> None:
    """Replace the content of a (draft) version with spec."""
    version.title = spec.title
    version.choices = {k: [dict(i) for i in v] for k, v in spec.choices.items()}
    version.settings = {"version": spec.version_label} if spec.version_label else {}
    version.sections = []
    for position, s in enumerate(spec.sections, start=1):
        section = Section(position=position, name=s.name, title=s.title, hint=s.hint, relevant=s.relevant,
                          relevant_ast=compile_expression(s.relevant))
        for qpos, qs in enumerate(s.questions, start=1):
            question = Question(position=qpos, **{f: _copy(getattr(qs, f)) for f in QUESTION_FIELDS})
            question.version = version
            compile_question(question)
            section.questions.append(question)
        version.sections.append(section)


def compile_question(question: Question) -> None:
    question.relevant_ast = compile_expression(question.relevant)
    question.constraint_ast = compile_expression(question.constraint)
    question.problem_if_ast = compile_expression(question.problem_if)


def new_version(questionnaire: Questionnaire, number: int, spec: FormSpec, actor_id: int | None):
    version = QuestionnaireVersion(number=number, title=spec.title, created_by_id=actor_id)
    questionnaire.versions.append(version)  # the one-to-many side cascades into the session
    fill_version(version, spec)
    return version
