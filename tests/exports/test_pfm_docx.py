"""The plan de formation mutualisé as a Word document: read back with python-docx, and
converted by LibreOffice where it is installed (issue 17, item 10)."""

import io
import shutil
import subprocess

import docx
import pytest

from tests import factories
from workshop.exports import pfm_docx
from workshop.services import board, summary


def test_the_pfm_reads_back_with_its_sections_and_axes(db, seance):
    factories.phase(db, seance, "recueil")
    caces = factories.need(db, seance, "Nacelles", "hs-caces")
    factories.ok(board.declare(db, seance, factories.participant(db, seance, "Orchies"), caces.id,
                               2027, 12, "C"))
    small = factories.need(db, seance, "État civil", "jur-etat-civil")
    factories.ok(board.declare(db, seance, factories.participant(db, seance, "Cysoing"), small.id,
                               2027, 3))
    data = pfm_docx.render(summary.gather(db, seance))
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[:4] == ["Plan de formation mutualisé", "Préambule", "Le périmètre", "La méthode"]
    assert "Axe : Hygiène et sécurité" in headings
    assert {"Formations statutaires", "Sous le seuil de territorialisation",
            "Actions à ouvrir dans IEL", "Coût estimé des actions payantes"} <= set(headings)
    text = "\n".join(p.text for p in document.paragraphs)
    assert "n° 84-594" in text and "n° 2007-209" in text
    assert "État civil : 2027 : 3 stagiaires" in text
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    [row] = [r for r in cells if r[0] == "Nacelles" and len(r) == len(pfm_docx.HEADERS)]
    assert row[1:6] == ["Santé-sécurité réglementaire", "C", "Orchies : 12", "12", "2027"]
    assert row[7] == "Orchies" and row[8] == "payant" and row[9] == "6\u202f480 €"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_libreoffice_opens_the_pfm(db, seance, tmp_path):
    source = tmp_path / "pfm.docx"
    source.write_bytes(pfm_docx.render(summary.gather(db, seance)))
    done = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                           "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
                          capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "pfm.pdf").read_bytes().startswith(b"%PDF")
