"""Questionnaires with versions, sections and questions.

Revision ID: 2adf55ed7517
Revises: 1a8f326b04ed
Create Date: 2026-11-26 20:40:15.197192

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '2adf55ed7517'
down_revision = '1a8f326b04ed'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('questionnaires',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('form_id', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaires')),
    sa.UniqueConstraint('form_id', name=op.f('uq_questionnaires_form_id'))
    )
    op.create_table('questionnaire_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('choices', sa.JSON(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_questionnaire_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_questionnaire_versions_published_by_id_users')),
    sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id'], name=op.f('fk_questionnaire_versions_questionnaire_id_questionnaires')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_versions')),
    sa.UniqueConstraint('questionnaire_id', 'number', name=op.f('uq_questionnaire_versions_questionnaire_id'))
    )
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_versions_questionnaire_id'), ['questionnaire_id'], unique=False)

    op.create_table('questionnaire_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('hint', sa.Text(), nullable=False),
    sa.Column('relevant', sa.Text(), nullable=False),
    sa.Column('relevant_ast', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_versions.id'], name=op.f('fk_questionnaire_sections_version_id_questionnaire_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_sections'))
    )
    with op.batch_alter_table('questionnaire_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_questionnaire_sections_version_id'), ['version_id'], unique=False)

    op.create_table('questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('hint', sa.Text(), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('required_message', sa.String(length=200), nullable=False),
    sa.Column('choice_list', sa.String(length=64), nullable=True),
    sa.Column('appearance', sa.String(length=64), nullable=False),
    sa.Column('parameters', sa.JSON(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=True),
    sa.Column('relevant', sa.Text(), nullable=False),
    sa.Column('relevant_ast', sa.JSON(), nullable=True),
    sa.Column('constraint', sa.Text(), nullable=False),
    sa.Column('constraint_ast', sa.JSON(), nullable=True),
    sa.Column('constraint_message', sa.String(length=200), nullable=False),
    sa.Column('problem_if', sa.Text(), nullable=False),
    sa.Column('problem_if_ast', sa.JSON(), nullable=True),
    sa.Column('problem_category', sa.String(length=32), nullable=False),
    sa.Column('problem_severity', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['section_id'], ['questionnaire_sections.id'], name=op.f('fk_questions_section_id_questionnaire_sections')),
    sa.ForeignKeyConstraint(['version_id'], ['questionnaire_versions.id'], name=op.f('fk_questions_version_id_questionnaire_versions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questions')),
    sa.UniqueConstraint('version_id', 'name', name=op.f('uq_questions_version_id'))
    )
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.create_index('ix_questions_section_position', ['section_id', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_questions_version_id'), ['version_id'], unique=False)



def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questions_version_id'))
        batch_op.drop_index('ix_questions_section_position')

    op.drop_table('questions')
    with op.batch_alter_table('questionnaire_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_sections_version_id'))

    op.drop_table('questionnaire_sections')
    with op.batch_alter_table('questionnaire_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_questionnaire_versions_questionnaire_id'))

    op.drop_table('questionnaire_versions')
    op.drop_table('questionnaires')
