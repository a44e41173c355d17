"""Print docs/errors.md from the catalogue (server/prisma_doctor/catalogue.py).

Run: `.venv/bin/python scripts/errors_page.py > docs/errors.md`; tests/test_catalogue.py checks the page is current.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from prisma_doctor.catalogue import CATALOGUE, PRISMA_CODES


def page() -> str:
    lines = [
        "# Prisma errors the doctor knows",
        "",
        "Generated from `server/prisma_doctor/catalogue.py` by `scripts/errors_page.py`; do not edit.",
        f"It covers {len(PRISMA_CODES)} of Prisma's error codes, and the client's own errors without a code.",
        "A data error is never called drift; a database-side cause never gets a cache reset or a regeneration.",
        "",
        "| code | error | cause class | can mean | what decides | fix |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in CATALOGUE:
        cells = (
            f"`{entry.code}`",
            entry.title,
            entry.cause.value,
            "; ".join(entry.meanings),
            " ".join(entry.questions) or "-",
            entry.fix,
        )
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(page())
