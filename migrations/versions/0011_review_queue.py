"""review queue order: each code keeps how uncertain the tagger was (distance of its confidence from the
threshold), indexed, so the review page reads the least certain suggestion first without sorting

Revision ID: 0011_review_queue
Revises: 0010_analysis
Create Date: 2026-12-05 07:54:12.400011

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_review_queue'
down_revision = '0010_analysis'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('analysis_code', schema=None) as batch_op:
        batch_op.add_column(sa.Column('uncertainty', sa.Float(), nullable=True))
        batch_op.drop_index(batch_op.f('ix_analysis_code_study_status'))
        batch_op.create_index('ix_analysis_code_queue', ['study_id', 'status', 'uncertainty', 'id'], unique=False)
        batch_op.create_index('ix_analysis_code_queue_theme', ['study_id', 'status', 'theme', 'uncertainty', 'id'], unique=False)
        batch_op.create_index('ix_analysis_code_recheck', ['study_id', 'needs_review'], unique=False)
        batch_op.create_index(
            'ix_analysis_code_theme', ['study_id', 'theme', 'status', 'origin', 'passage_id'], unique=False
        )
    op.execute("UPDATE analysis_code SET uncertainty = ABS(confidence - 0.5) WHERE confidence IS NOT NULL")


def downgrade():
    with op.batch_alter_table('analysis_code', schema=None) as batch_op:
        batch_op.drop_index('ix_analysis_code_theme')
        batch_op.drop_index('ix_analysis_code_recheck')
        batch_op.drop_index('ix_analysis_code_queue_theme')
        batch_op.drop_index('ix_analysis_code_queue')
        batch_op.create_index(batch_op.f('ix_analysis_code_study_status'), ['study_id', 'status', 'confidence'], unique=False)
        batch_op.drop_column('uncertainty')

