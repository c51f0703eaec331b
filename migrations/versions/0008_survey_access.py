"""survey access: an explicit "open to all members" setting on each survey (off by default)

Revision ID: 0008_survey_access
Revises: 0007_volunteer_changes
Create Date: 2026-12-04 15:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_survey_access'
down_revision = '0007_volunteer_changes'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.add_column(sa.Column('open_to_all_members', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('survey', schema=None) as batch_op:
        batch_op.drop_column('open_to_all_members')
