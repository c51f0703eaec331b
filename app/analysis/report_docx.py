"""The study report as a Word document (python-docx): headings, paragraphs and tables from a `Report`, and
each chart as a PNG drawn by matplotlib (Agg backend: no display, no fonts fetched) with its description as
alt text, a caption, and the table of its numbers straight after it.

Nothing here reads the database: `app.analysis.report.build_report` has gathered everything already.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # before pyplot: draw to memory only

import matplotlib.pyplot as plt  # noqa: E402
from docx import Document  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.shared import Inches, Pt  # noqa: E402

from app.analysis.report_tree import Chart, Report, Table  # noqa: E402
from app.wording import plural, titled

BAR = "#1d70b8"
MARK = "#d4351c"
TEXT = "#0b0c0c"
CHART_WIDTH = Inches(6)


def chart_png(chart: Chart) -> bytes:
    """The chart as a PNG (150 dpi), drawn as the results pages draw it: horizontal bars, or dots with
    95% interval lines on a 0-100% axis with half marked."""
    rows = len(chart.values)
    figure, axes = plt.subplots(figsize=(7, 0.45 * rows + 1.1), dpi=150)
    try:
        labels = [str(item[0])[:48] for item in chart.values]
        positions = list(range(rows))[::-1]
        if chart.kind == "interval":
            for y, (_label, pct, low, high) in zip(positions, chart.values, strict=True):
                if pct is None:
                    continue
                if low is not None and high is not None:
                    axes.hlines(y, low, high, color=TEXT, linewidth=2)
                axes.plot([pct], [y], "o", color=BAR, markersize=7)
            axes.axvline(50, color=MARK, linestyle="--", linewidth=1.5)
            axes.set_xlim(0, 100)
            axes.set_xlabel("%")
        else:
            values = [0 if value is None else value for _label, value in chart.values]
            axes.barh(positions, values, color=BAR)
            top = chart.maximum if chart.maximum is not None else (max(values, default=0) or 1) * 1.2
            axes.set_xlim(0, top)
            for y, (_label, value) in zip(positions, chart.values, strict=True):
                axes.text((value or 0) + top * 0.01, y, _shown(value, chart.unit), va="center", fontsize=8, color=TEXT)
        axes.set_yticks(positions, labels, fontsize=8)
        axes.set_title(chart.title, fontsize=10, loc="left")
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _shown(value: float | None, unit: str) -> str:
    if value is None:
        return "no answers"
    if unit == "%":
        return f"{value:.0f}%"
    if unit == "£":
        return f"£{value:,.0f}"
    return f"{value:,.0f} {unit}".strip()


def _table(document, table: Table) -> None:
    caption = document.add_paragraph(table.caption, style="Caption")
    caption.paragraph_format.keep_with_next = True
    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
        cell.text = header
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in table.rows:
        cells = grid.add_row().cells
        for index, (cell, value) in enumerate(zip(cells, row, strict=True)):
            cell.text = value
            if index:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    document.add_paragraph()


def _chart(document, chart: Chart) -> None:
    document.add_picture(io.BytesIO(chart_png(chart)), width=CHART_WIDTH)
    # Alt text: Word reads the picture's description (wp:docPr/@descr) aloud.
    inline = document.inline_shapes[-1]._inline
    inline.docPr.set("descr", chart.description)
    inline.docPr.set("title", chart.title)
    document.add_paragraph(f"Figure: {chart.title}. {chart.description}", style="Caption")
    _table(document, chart.table)


def _say(document, text: str, style: str | None = None) -> None:
    if text:
        document.add_paragraph(text, style=style)


def _method(document, report: Report) -> None:
    document.add_heading("Method", level=1)
    document.add_heading("Survey", level=2)
    if not report.survey_methods:
        _say(document, "No survey is linked to this study, so the report has no survey evidence.")
    for method in report.survey_methods:
        _say(
            document,
            f"{method.title}: {method.invited:,} of {method.organisations:,} member organisations invited, "
            f"{method.responded:,} responded (a response rate of {method.rate} of member organisations).",
        )
        _table(document, method.by_region)
        _chart(document, method.chart)
    document.add_heading("Focus groups", level=2)
    groups = report.focus_groups
    if groups.sessions:
        _say(
            document,
            f"{plural(groups.sessions, 'session')} ({', '.join(groups.session_dates)}) with "
            f"{plural(groups.participants, 'participant')}, known here by pseudonym only.",
        )
        if groups.participants:
            _table(document, groups.by_region)
            _table(document, groups.by_council_type)
    else:
        _say(document, "No focus-group session has been confirmed yet.")
    document.add_heading("Coding", level=2)
    coding = report.coding
    note = f" ({coding.codebook_note})" if coding.codebook_note else ""
    _say(document, f"Codebook version {coding.codebook_version}{note}; the codebook is in the appendix.")
    if coding.passages:
        coders = ""
        if coding.coders:
            coders = f" by {plural(coding.coders, 'coder')} ({coding.coder_roles})"
        _say(document, f"{coding.passages:,} passages read; {coding.accepted:,} accepted codes{coders}.")
        _say(document, "Only accepted codes count in any figure.")
    else:
        _say(document, "No passages have been read yet, so nothing has been coded.")
    if not coding.rounds:
        _say(document, "No double-coding round has been run, so there are no agreement figures.")
    for summary in coding.rounds:
        _say(
            document,
            f"{summary.title}: {summary.items:,} passages coded blind by {summary.coders}. Krippendorff's alpha "
            f"(MASI) {summary.alpha}; identical sets of themes on {summary.identical} of passages.",
        )
        if summary.items:
            _table(document, summary.themes)


def _surveys(document, report: Report) -> None:
    document.add_heading("Survey results", level=1)
    if not report.surveys:
        _say(document, "No survey is linked to this study, so there are no survey results.")
    for survey in report.surveys:
        document.add_heading(survey.title, level=2)
        _say(document, survey.headline)
        _say(document, f"{survey.interval} {survey.verdict}".strip())
        _say(document, survey.service_note)
        for chart in survey.charts:
            _chart(document, chart)
        document.add_heading("The impact model", level=3)
        _say(document, survey.weight_explanation)
        for sentence in survey.impact_sentences:
            _say(document, sentence, style="List Bullet")
        if survey.impact_table:
            _table(document, survey.impact_table)
        else:
            _say(document, "No submitted responses, so the impact model has nothing to compute.")


def _findings(document, report: Report) -> None:
    document.add_heading("Findings by theme", level=1)
    if report.theme_chart:
        _chart(document, report.theme_chart)
    else:
        _say(document, "No passage has an accepted code yet, so there are no findings to report.")
    for finding in report.findings:
        document.add_heading(finding.name, level=2)
        _say(document, f"{plural(finding.passages, 'passage')} coded with this theme.")
        if finding.summary:
            _say(document, finding.summary)
            _say(document, finding.summary_version, style="Caption")
        else:
            _say(document, "No summary has been written for this theme.")
        for quote in finding.quotes:
            who = f"{quote.pseudonyms}, " if quote.pseudonyms else ""
            _say(document, f"“{quote.text}” ({who}{quote.council_type}; {quote.source.lower()})", style="Quote")


def _recommendation(document, report: Report) -> None:
    document.add_heading("Recommendation", level=1)
    outcome = report.recommendation
    _say(document, outcome.sign_off)
    for line in outcome.outcomes:
        document.add_heading(line.label, level=2)
        if line.decision:
            paragraph = document.add_paragraph()
            paragraph.add_run("Decision: ").bold = True
            paragraph.add_run(line.decision)
            _say(document, line.rationale)
            if line.score:
                _say(document, line.score)
            _say(document, line.decided, style="Caption")
        else:
            _say(document, "No decision has been recorded on this outcome.")


def _appendix(document, report: Report) -> None:
    document.add_heading("Appendix: the codebook", level=1)
    _say(document, f"Codebook version {report.coding.codebook_version}.")
    for theme in report.appendix:
        document.add_heading(f"{theme.name} ({theme.slug})", level=2)
        for label, text in (("Definition", theme.definition), ("Include", theme.include), ("Exclude", theme.exclude)):
            if text:
                paragraph = document.add_paragraph()
                paragraph.add_run(f"{label}: ").bold = True
                paragraph.add_run(text)


def report_docx(report: Report) -> bytes:
    """The report as the bytes of a .docx file."""
    document = Document()
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(11)
    document.core_properties.title = report.title
    document.core_properties.author = "Socitm study platform"
    document.add_heading(titled(report.title, "study report"), level=0)
    _say(
        document,
        f"Generated {report.generated} from the live data. Participants are shown by pseudonym only and "
        "organisations by region and council type; staff are named by role.",
    )
    _method(document, report)
    _surveys(document, report)
    _findings(document, report)
    _recommendation(document, report)
    _appendix(document, report)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
