"""analysis: codebook versions, passages read from a study's sources, codes, double-coding rounds;
and the "lead analyst" role (edits the codebook, sets up double-coding)

Revision ID: 0010_analysis
Revises: 0009_audit_event_names
Create Date: 2026-12-05 07:09:22.316189

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_analysis'
down_revision = '0009_audit_event_names'
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('member', 'organiser', 'facilitator', 'analyst', 'admin')"
NEW_ROLES = "role IN ('member', 'organiser', 'facilitator', 'analyst', 'lead_analyst', 'admin')"


def _roles_allowed(check: str) -> None:
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_role_role_known'), type_='check')
        batch_op.create_check_constraint('role_known', check)


def upgrade():
    _roles_allowed(NEW_ROLES)
    op.create_table('analysis_codebook_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=500), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('number >= 1', name=op.f('ck_analysis_codebook_version_number_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_analysis_codebook_version_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_analysis_codebook_version_study_id_fg_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_codebook_version')),
    sa.UniqueConstraint('study_id', 'number', name=op.f('uq_analysis_codebook_version_study_id_number'))
    )
    with op.batch_alter_table('analysis_codebook_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_codebook_version_study_id'), ['study_id'], unique=False)

    op.create_table('analysis_passage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('source_kind', sa.String(length=10), nullable=False),
    sa.Column('source_key', sa.String(length=120), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source_ref', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('section', sa.String(length=80), nullable=False),
    sa.Column('section_label', sa.Text(), server_default='', nullable=False),
    sa.Column('region', sa.String(length=40), nullable=True),
    sa.Column('council_type', sa.String(length=40), nullable=True),
    sa.Column('supports_schools', sa.Boolean(), nullable=True),
    sa.Column('pseudonyms', sa.JSON(), nullable=False),
    sa.Column('note_kind', sa.String(length=20), nullable=True),
    sa.Column('present', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('tagged_version', sa.Integer(), nullable=True),
    sa.Column('read_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.CheckConstraint("source_kind IN ('survey', 'note', 'debrief')", name=op.f('ck_analysis_passage_source_kind_known')),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_analysis_passage_study_id_fg_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_passage')),
    sa.UniqueConstraint('study_id', 'key', name=op.f('uq_analysis_passage_study_id_key'))
    )
    with op.batch_alter_table('analysis_passage', schema=None) as batch_op:
        batch_op.create_index('ix_analysis_passage_source', ['study_id', 'source_key', 'position'], unique=False)
        batch_op.create_index('ix_analysis_passage_study_present', ['study_id', 'present'], unique=False)

    op.create_table('analysis_round',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('sample_size', sa.Integer(), nullable=False),
    sa.Column('coder_a_id', sa.Integer(), nullable=True),
    sa.Column('coder_b_id', sa.Integer(), nullable=True),
    sa.Column('codebook_version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('coder_a_id IS NULL OR coder_b_id IS NULL OR coder_a_id <> coder_b_id', name=op.f('ck_analysis_round_two_coders')),
    sa.CheckConstraint('sample_size >= 1', name=op.f('ck_analysis_round_sample_size_positive')),
    sa.ForeignKeyConstraint(['coder_a_id'], ['user_account.id'], name=op.f('fk_analysis_round_coder_a_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['coder_b_id'], ['user_account.id'], name=op.f('fk_analysis_round_coder_b_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_analysis_round_created_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_analysis_round_study_id_fg_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_round'))
    )
    with op.batch_alter_table('analysis_round', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_round_study_id'), ['study_id'], unique=False)

    op.create_table('analysis_study_survey',
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_analysis_study_survey_study_id_fg_study'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['survey.id'], name=op.f('fk_analysis_study_survey_survey_id_survey'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('study_id', 'survey_id', name=op.f('pk_analysis_study_survey'))
    )
    with op.batch_alter_table('analysis_study_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_study_survey_survey_id'), ['survey_id'], unique=False)

    op.create_table('analysis_code',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('study_id', sa.Integer(), nullable=False),
    sa.Column('passage_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=10), server_default='suggested', nullable=False),
    sa.Column('origin', sa.String(length=10), server_default='suggested', nullable=False),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('codebook_version', sa.Integer(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('coder_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('(CURRENT_TIMESTAMP)'), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("origin IN ('suggested', 'model', 'hand')", name=op.f('ck_analysis_code_origin_known')),
    sa.CheckConstraint("status IN ('suggested', 'accepted', 'rejected')", name=op.f('ck_analysis_code_status_known')),
    sa.ForeignKeyConstraint(['coder_id'], ['user_account.id'], name=op.f('fk_analysis_code_coder_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['passage_id'], ['analysis_passage.id'], name=op.f('fk_analysis_code_passage_id_analysis_passage'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['study_id'], ['fg_study.id'], name=op.f('fk_analysis_code_study_id_fg_study'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_code')),
    sa.UniqueConstraint('passage_id', 'theme', name=op.f('uq_analysis_code_passage_id_theme'))
    )
    with op.batch_alter_table('analysis_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_code_passage_id'), ['passage_id'], unique=False)
        batch_op.create_index('ix_analysis_code_study_status', ['study_id', 'status', 'confidence'], unique=False)

    op.create_table('analysis_round_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('passage_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('themes_a', sa.JSON(), nullable=True),
    sa.Column('coded_a_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('themes_b', sa.JSON(), nullable=True),
    sa.Column('coded_b_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_themes', sa.JSON(), nullable=True),
    sa.Column('resolution_note', sa.String(length=2000), server_default='', nullable=False),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['passage_id'], ['analysis_passage.id'], name=op.f('fk_analysis_round_item_passage_id_analysis_passage'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['user_account.id'], name=op.f('fk_analysis_round_item_resolved_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['analysis_round.id'], name=op.f('fk_analysis_round_item_round_id_analysis_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_round_item')),
    sa.UniqueConstraint('round_id', 'passage_id', name=op.f('uq_analysis_round_item_round_id_passage_id')),
    sa.UniqueConstraint('round_id', 'position', name=op.f('uq_analysis_round_item_round_id_position'))
    )
    with op.batch_alter_table('analysis_round_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_analysis_round_item_round_id'), ['round_id'], unique=False)



def downgrade():
    op.execute("DELETE FROM user_role WHERE role = 'lead_analyst'")
    _roles_allowed(OLD_ROLES)
    with op.batch_alter_table('analysis_round_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_round_item_round_id'))

    op.drop_table('analysis_round_item')
    with op.batch_alter_table('analysis_code', schema=None) as batch_op:
        batch_op.drop_index('ix_analysis_code_study_status')
        batch_op.drop_index(batch_op.f('ix_analysis_code_passage_id'))

    op.drop_table('analysis_code')
    with op.batch_alter_table('analysis_study_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_study_survey_survey_id'))

    op.drop_table('analysis_study_survey')
    with op.batch_alter_table('analysis_round', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_round_study_id'))

    op.drop_table('analysis_round')
    with op.batch_alter_table('analysis_passage', schema=None) as batch_op:
        batch_op.drop_index('ix_analysis_passage_study_present')
        batch_op.drop_index('ix_analysis_passage_source')

    op.drop_table('analysis_passage')
    with op.batch_alter_table('analysis_codebook_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_analysis_codebook_version_study_id'))

    op.drop_table('analysis_codebook_version')
