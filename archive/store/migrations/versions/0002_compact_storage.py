"""compact extraction storage, table-only renderings, 32-bit MinHash, S5 queue, coverage index

Revision ID: 0002
Revises: 0001

Extraction results move from one JSON column to readable `meta` plus compressed `body` (archive.ingest.stored_results),
with the identity columns `tables` and `table_only`; `reports.carry` goes (S1/S2 read the current extraction).
Signatures are recomputed with the CRC-based 32-bit MinHash and every S5 flag with them. Tables keyed by text or pairs
become WITHOUT ROWID on SQLite. Reports with table-only renderings are recomputed so those join their full versions.

The data steps use the archive's own code as of this revision (results, identity, neardup, chains, copies).
SQLite: columns are added and dropped in place (ALTER TABLE … DROP COLUMN needs SQLite 3.35), because a table that
others reference cannot be rebuilt inside the migration's transaction: foreign keys cannot be switched off there,
and dropping `extractions` or `reports` would count (or cascade) against the rows that refer to them. So the new NOT
NULL columns carry a placeholder default, which PostgreSQL then drops and SQLite keeps (the archive never relies on
it). Only tables nothing refers to are rebuilt, as WITHOUT ROWID.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CHUNK = 500


def _rebuild_without_rowid(name: str) -> None:
    with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_with_rowid": False}):
        pass


def upgrade() -> None:
    conn = op.get_bind()
    sqlite = conn.dialect.name == "sqlite"

    with op.batch_alter_table('extractions') as batch_op:
        batch_op.add_column(sa.Column('tables', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('table_only', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('meta', sa.JSON(none_as_null=True), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('body', sa.LargeBinary(), nullable=False, server_default=''))
    _repack_results(conn)
    op.drop_column('extractions', 'result')
    op.drop_column('reports', 'carry')
    if not sqlite:
        op.alter_column('extractions', 'meta', server_default=None)
        op.alter_column('extractions', 'body', server_default=None)

    with op.batch_alter_table('agencies') as batch_op:
        batch_op.drop_index('ix_agencies_division_code')
        batch_op.create_index('ix_agencies_division_code_name', ['division_code', 'name'], unique=False)
    op.create_table('pending_copy_checks',
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['version_id'], ['versions.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('version_id')
    )
    if sqlite:
        for name in ('agency_aliases', 'version_sources', 'minhash_bands', 'near_duplicates'):
            _rebuild_without_rowid(name)
    _rehome_table_only(conn)
    _sign_versions_again(conn)


def _repack_results(conn: sa.Connection) -> None:
    """Each stored result into `meta` and `body`, and a report's identity with the table-only rule."""
    from archive.ingest import stored_results
    from archive.ingest.identity import canonical_fields, content_digest, is_table_only, prose, tables_digest

    old = sa.table('extractions', sa.column('id', sa.Integer), sa.column('fingerprint', sa.String),
                   sa.column('result', sa.JSON(none_as_null=True)), sa.column('tables', sa.String),
                   sa.column('table_only', sa.Boolean), sa.column('meta', sa.JSON(none_as_null=True)),
                   sa.column('body', sa.LargeBinary))
    last = 0
    while True:
        rows = conn.execute(sa.select(old.c.id, old.c.fingerprint, old.c.result).where(old.c.id > last)
                            .order_by(old.c.id).limit(CHUNK)).all()
        if not rows:
            break
        for row in rows:
            meta, body = stored_results.pack(row.result)
            values: dict[str, object] = {"meta": meta, "body": body}
            if row.fingerprint:  # an attributable report: its identity, with the table-only rule
                canonical = canonical_fields(row.result.get("fields") or {})
                text = prose(row.result.get("sections") or {})
                table_only = is_table_only(row.result.get("format"), canonical, text)
                values.update(tables=tables_digest(canonical), table_only=table_only,
                              fingerprint=content_digest(canonical, "" if table_only else text))
            conn.execute(old.update().where(old.c.id == row.id).values(**values))
        last = rows[-1].id


def _rehome_table_only(conn: sa.Connection) -> None:
    """Table-only renderings join the full versions they repeat (version_chains.recompute applies the rule)."""
    from archive.ingest import version_chains
    from archive.store.models import T

    src, ex, ver = T["sources"], T["extractions"], T["versions"]
    version_chains.recompute(conn, conn.execute(
        sa.select(ver.c.report_id).distinct().join(src, src.c.version_id == ver.c.id)
        .join(ex, ex.c.id == src.c.extraction_id).where(ex.c.table_only.is_(True))).scalars().all())


def _sign_versions_again(conn: sa.Connection) -> None:
    """Every signature again with the new MinHash, and every S5 flag from them."""
    from archive.ingest import copy_checks, neardup, stored_results
    from archive.ingest.identity import canonical_fields, prose, telling_tables
    from archive.store.models import T

    ex, ver, rep = T["extractions"], T["versions"], T["reports"]
    conn.execute(T["neardups"].delete())
    conn.execute(T["bands"].delete())
    conn.execute(T["pending"].delete())
    last = 0
    while True:
        rows = conn.execute(
            sa.select(ver.c.id, rep.c.agency_id, rep.c.year, ex.c.tables, ex.c.table_only, ex.c.body)
            .join(rep, rep.c.id == ver.c.report_id).join(ex, ex.c.id == ver.c.extraction_id)
            .where(ver.c.id > last).order_by(ver.c.id).limit(CHUNK)).all()
        if not rows:
            break
        new = []
        for row in rows:
            bulk = stored_results.unpack_body(row.body)
            sig = None if row.table_only else neardup.signature(prose(bulk.get("sections") or {}))
            conn.execute(ver.update().where(ver.c.id == row.id).values(minhash=neardup.pack(sig) if sig else None))
            new.append(copy_checks.NewVersion(row.id, row.agency_id, row.year, sig, row.tables,
                                              telling_tables(canonical_fields(bulk.get("fields") or {}))))
        copy_checks.add_versions(conn, new)
        last = rows[-1].id
    copy_checks.settle_pending(conn)


def downgrade() -> None:
    raise NotImplementedError("0002 converts stored data; restore a backup taken before upgrading instead")
