"""knowledge changes: history of edits to knowledge/faq.yml made in the workspace

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 08:55:00

"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('kansli_knowledge_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('topic_id', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('before', sa.Text(), nullable=False),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('undoes', sa.Integer(), nullable=True),
    sa.Column('undone_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['undoes'], ['kansli_knowledge_changes.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('kansli_knowledge_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kansli_knowledge_changes_created'), ['created'], unique=False)
        batch_op.create_index(batch_op.f('ix_kansli_knowledge_changes_topic_id'), ['topic_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('kansli_knowledge_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kansli_knowledge_changes_topic_id'))
        batch_op.drop_index(batch_op.f('ix_kansli_knowledge_changes_created'))
    op.drop_table('kansli_knowledge_changes')
