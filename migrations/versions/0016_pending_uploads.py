"""pending uploads: a REFI-QDA project uploaded for import kept in the database until its lead confirms it
(any node takes the confirmation), instead of on the disk of the node that took the upload

Revision ID: 0016_pending_uploads
Revises: 0015_job_files
Create Date: 2026-12-06 02:26:54

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_pending_uploads'
down_revision = '0015_job_files'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('analysis_pending_upload',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_analysis_pending_upload_study_id_fg_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_analysis_pending_upload_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_analysis_pending_upload'))
    )
    with op.batch_alter_table('analysis_pending_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_pending_upload_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_pending_upload_study_id'), ['study_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_analysis_pending_upload_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('analysis_pending_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_pending_upload_user_id'))
        batch_op.drop_index(batch_op.f('ix_analysis_pending_upload_study_id'))
        batch_op.drop_index(batch_op.f('ix_analysis_pending_upload_created_at'))

    op.drop_table('analysis_pending_upload')
