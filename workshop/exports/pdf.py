"""The PDF summary: the same template as the printable page, laid out by WeasyPrint."""

from pathlib import Path

from flask import current_app
from weasyprint import CSS, HTML


def render(html: str) -> bytes:
    stylesheet = Path(current_app.static_folder) / "css" / "summary.css"
    return HTML(string=html, base_url=current_app.static_folder).write_pdf(
        stylesheets=[CSS(filename=str(stylesheet))])
