"""volunteer changes: pending changes kept on the server, and when the form last emailed an address about a study

Revision ID: 0007_volunteer_changes
Revises: 0006_mfa
Create Date: 2026-12-04 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_volunteer_changes'
down_revision = '0006_mfa'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fg_volunteer_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['volunteer_id'], ['fg_volunteer.id'], name=op.f('fk_fg_volunteer_change_volunteer_id_fg_volunteer'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fg_volunteer_change')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_fg_volunteer_change_token_hash'))
    )
    with op.batch_alter_table('fg_volunteer_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fg_volunteer_change_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fg_volunteer_change_volunteer_id'), ['volunteer_id'], unique=False)

    op.create_table('fg_volunteer_form_email',
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_fg_volunteer_form_email_study_id_fg_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('address_hash', 'study_id', name=op.f('pk_fg_volunteer_form_email'))
    )
    with op.batch_alter_table('fg_volunteer_form_email', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fg_volunteer_form_email_sent_at'), ['sent_at'], unique=False)


def downgrade():
    with op.batch_alter_table('fg_volunteer_form_email', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fg_volunteer_form_email_sent_at'))

    op.drop_table('fg_volunteer_form_email')
    with op.batch_alter_table('fg_volunteer_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fg_volunteer_change_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_fg_volunteer_change_expires_at'))

    op.drop_table('fg_volunteer_change')
