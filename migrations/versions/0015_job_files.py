"""job files: a job's download kept in the database (any node serves it), and what a job needs to be run
again or found interrupted (its work's import path and arguments, runner, worker, heartbeat)

Revision ID: 0015_job_files
Revises: 0014_member_invitations
Create Date: 2026-12-05 21:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_job_files'
down_revision = '0014_member_invitations'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_job_file_job_id_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_file')),
    sa.UniqueConstraint('job_id', name=op.f('uq_job_file_job_id'))
    )
    with op.batch_alter_table('job_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_job_file_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('work', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('args', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
        batch_op.add_column(sa.Column('runner', sa.String(length=10), server_default='', nullable=False))
        batch_op.add_column(sa.Column('worker', sa.String(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('worker')
        batch_op.drop_column('runner')
        batch_op.drop_column('args')
        batch_op.drop_column('work')

    with op.batch_alter_table('job_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_job_file_created_at'))

    op.drop_table('job_file')
