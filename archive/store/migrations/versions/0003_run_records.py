"""run records in the archive: the crawler's per-portal account of each run, for `nianbao health`

Revision ID: 0003
Revises: 0002

`runs` gains the years asked for, why the run stopped and its request count; `run_portals` gains the crawler's
record of each portal (archive.runs.PortalRecord): agency, CMS family, responses, report entries listed,
documents fetched, report columns reached, attention. All nullable: rows written by imports have none of them.
Columns are added in place (SQLite's ADD COLUMN works on WITHOUT ROWID tables too).
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

RUNS = (("years", sa.String(length=16)), ("reason", sa.String(length=32)), ("requests", sa.Integer()))
RUN_PORTALS = (("agency", sa.Text()), ("family", sa.String(length=32)), ("responses", sa.Integer()),
               ("listed", sa.Integer()), ("documents", sa.Integer()), ("columns", sa.Integer()),
               ("attention", sa.Text()))


def upgrade() -> None:
    for table, columns in (("runs", RUNS), ("run_portals", RUN_PORTALS)):
        for name, type_ in columns:
            op.add_column(table, sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for table, columns in (("runs", RUNS), ("run_portals", RUN_PORTALS)):
        for name, _ in columns:
            op.drop_column(table, name)
