"""Revision hash chain: prev_hash and hash on every revision, existing rows chained in id order.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 05:40:00

"""
from collections.abc import Sequence
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

from knowledge_base.chain import GENESIS, HEAD_KEY, format_head, revision_hash

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
    bind = op.get_bind()
    revisions = sa.table(
        'revisions', sa.column('id', sa.Integer), sa.column('entity_type', sa.String),
        sa.column('entity_id', sa.String), sa.column('number', sa.Integer), sa.column('action', sa.String),
        sa.column('snapshot', sa.JSON), sa.column('changed_by', sa.String),
        sa.column('changed_at', sa.DateTime(timezone=True)), sa.column('comment', sa.String),
        sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
    )
    kb_meta = sa.table('kb_meta', sa.column('key', sa.String), sa.column('value', sa.Text),
                       sa.column('updated_at', sa.DateTime(timezone=True)))
    prev, last_id = GENESIS, None
    for row in bind.execute(sa.select(revisions).order_by(revisions.c.id)).mappings().all():
        digest = revision_hash(dict(row), prev)
        bind.execute(revisions.update().where(revisions.c.id == row['id']).values(prev_hash=prev, hash=digest))
        prev, last_id = digest, row['id']
    bind.execute(kb_meta.delete().where(kb_meta.c.key == HEAD_KEY))
    if last_id is not None:
        bind.execute(kb_meta.insert().values(key=HEAD_KEY, value=format_head(last_id, prev),
                                             updated_at=datetime.now(timezone.utc)))


def downgrade() -> None:
    op.get_bind().execute(sa.text("DELETE FROM kb_meta WHERE key = :k"), {"k": HEAD_KEY})
    with op.batch_alter_table('revisions', schema=None) as batch_op:
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
