"""registry_releases and governments: the national division codes, with their validity (archive.registry)

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "registry_releases",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("package", sa.Text(), nullable=False),
        sa.Column("data_as_of", sa.Date(), nullable=False),
        sa.Column("counts", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "governments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent_code", sa.String(12), nullable=True),
        sa.Column("publisher", sa.Boolean(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("successor_code", sa.String(12), nullable=True),
        sa.Column("data_as_of", sa.Date(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=True),
        sa.UniqueConstraint("division_code", "name", "valid_from"),
    )
    op.create_index("ix_governments_division_code", "governments", ["division_code"])
    op.create_index("ix_governments_parent_code", "governments", ["parent_code"])
    op.create_index("ix_governments_agency_id", "governments", ["agency_id"])


def downgrade() -> None:
    op.drop_table("governments")
    op.drop_table("registry_releases")
