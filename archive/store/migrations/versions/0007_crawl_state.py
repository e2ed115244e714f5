"""crawl_nodes and crawl_failed_documents: the crawl's memory between runs, in the archive (archive.crawl_state)

Revision ID: 0007
Revises: 0006

The crawl state lived in a SQLite file beside the archive (`crawl-state.sqlite`, raw DDL), and for distributed
crawls in these two tables, created by `create_all` outside the migrations. A database that has them already (a
distributed crawl's) keeps them and their rows; a state file is read into them when the crawler next opens the
archive (`archive.crawl_state.adopt_file`).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    existing = set(sa.inspect(op.get_bind()).get_table_names())
    if "crawl_nodes" not in existing:
        op.create_table(
            "crawl_nodes",
            sa.Column("key", sa.Text(), primary_key=True),
            sa.Column("url", sa.Text(), nullable=False),
            sa.Column("role", sa.Text(), nullable=False),
            sa.Column("fetched_at", sa.Float(), nullable=False),
            sa.Column("etag", sa.Text(), nullable=True),
            sa.Column("last_modified", sa.Text(), nullable=True),
            sa.Column("digest", sa.Text(), nullable=True),
            sa.Column("cold", sa.Integer(), nullable=False),
            sa.Column("children", sa.Text(), nullable=False),
            sqlite_with_rowid=False,
        )
    if "crawl_failed_documents" not in existing:
        op.create_table(
            "crawl_failed_documents",
            sa.Column("url", sa.Text(), primary_key=True),
            sa.Column("reason", sa.Text(), nullable=False),
            sa.Column("at", sa.Float(), nullable=False),
            sqlite_with_rowid=False,
        )


def downgrade() -> None:
    op.drop_table("crawl_failed_documents")
    op.drop_table("crawl_nodes")
