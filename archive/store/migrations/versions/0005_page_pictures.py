"""page_pictures: the pictures each page shows, read from its bytes (archive.ingest.pictures joins them by URL)

Revision ID: 0005
Revises: 0004

A picture's capture used to be joined to its page by its referrer, which a resumed crawl recorded as the listing
the page was found on: page and pictures were never read together. The rows of pages archived before are made by
`nianbao reparse`, which reads them from the pages' bytes. The index on captures' referrer served that join alone.
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_pictures",
        sa.Column("sha256", sa.String(length=64), sa.ForeignKey("blobs.sha256"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "position"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_page_pictures_url", "page_pictures", ["url"], postgresql_using="hash")
    op.drop_index("ix_captures_referrer", "captures")


def downgrade() -> None:
    op.create_index("ix_captures_referrer", "captures", ["referrer"], postgresql_using="hash")
    op.drop_index("ix_page_pictures_url", "page_pictures")
    op.drop_table("page_pictures")
