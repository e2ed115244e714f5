"""discovery_runs, discovered_agencies, discovered_evidence, discovered_conflicts, registry_acceptances,
accepted_agencies: what discovery found, with first and last seen, and the registry a person accepted from it
(archive.registry.discoveries, archive.registry.acceptance; issue 16)

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

JSON = sa.JSON(none_as_null=True)


def upgrade() -> None:
    op.create_table(
        "discovery_runs",
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("levels", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
    )
    op.create_table(
        "discovered_agencies",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("division_code", sa.String(12), nullable=False),
        sa.Column("parent", sa.Text(), nullable=False),
        sa.Column("portal_url", sa.Text(), nullable=False),
        sa.Column("column_urls", JSON, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("last_run", sa.String(64), sa.ForeignKey("discovery_runs.run_id"), nullable=False),
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("agencies.id"), nullable=True),
        sa.Column("government_id", sa.Integer(), sa.ForeignKey("governments.id"), nullable=True),
        sa.UniqueConstraint("name", "division_code"),
    )
    op.create_index("ix_discovered_agencies_province", "discovered_agencies", ["province"])
    op.create_index("ix_discovered_agencies_agency_id", "discovered_agencies", ["agency_id"])
    op.create_index("ix_discovered_agencies_government_id", "discovered_agencies", ["government_id"])
    op.create_table(
        "discovered_evidence",
        sa.Column("agency_id", sa.Integer(), sa.ForeignKey("discovered_agencies.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("signal", sa.String(32), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "discovered_conflicts",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("claims", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=False),
        sa.Column("last_seen", sa.DateTime(), nullable=False),
        sa.Column("last_run", sa.String(64), sa.ForeignKey("discovery_runs.run_id"), nullable=False),
    )
    op.create_table(
        "registry_acceptances",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("accepted_at", sa.DateTime(), nullable=False),
        sa.Column("agencies", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("removed", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
    )
    op.create_table(
        "accepted_agencies",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("division_code", sa.String(12), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("parent", sa.Text(), nullable=False),
        sa.Column("portal_url", sa.Text(), nullable=False),
        sa.Column("column_urls", JSON, nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("province", sa.Text(), nullable=False),
        sa.Column("acceptance_id", sa.Integer(), sa.ForeignKey("registry_acceptances.id"), nullable=False),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_accepted_agencies_province", "accepted_agencies", ["province"])
    op.create_index("ix_accepted_agencies_acceptance_id", "accepted_agencies", ["acceptance_id"])


def downgrade() -> None:
    for table in ("accepted_agencies", "registry_acceptances", "discovered_conflicts", "discovered_evidence",
                  "discovered_agencies", "discovery_runs"):
        op.drop_table(table)
