"""captures.tls: what the crawler saw of an https site's certificate; indexes on captures' referrer and final URL

Revision ID: 0004
Revises: 0003

https captures archived before get "unverified: not recorded" (the crawler marked them with an "X-Nianbao-TLS:
unverified" pseudo-header then, which stays among their headers, and kept no certificate details). The indexes serve
archive.ingest.pictures, which joins a page and its table pictures by URL (hash indexes on PostgreSQL, see
archive.store.models).
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("captures") as batch:
        batch.add_column(sa.Column("tls", sa.Text(), nullable=True))
    captures = sa.table("captures", sa.column("id", sa.Integer), sa.column("final_url", sa.Text),
                        sa.column("tls", sa.Text))
    op.execute(captures.update().where(captures.c.final_url.like("https://%"))
               .values(tls="unverified: not recorded"))
    op.create_index("ix_captures_referrer", "captures", ["referrer"], postgresql_using="hash")
    op.create_index("ix_captures_final_url", "captures", ["final_url"], postgresql_using="hash")


def downgrade() -> None:
    op.drop_index("ix_captures_final_url", "captures")
    op.drop_index("ix_captures_referrer", "captures")
    with op.batch_alter_table("captures") as batch:
        batch.drop_column("tls")
