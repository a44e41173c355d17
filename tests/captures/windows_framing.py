"""Windows framing of real Linux captures, where no Windows capture of the form exists (tests/fixtures/logs has one
real Wine capture, `wine-generate-eperm-engine-locked`).

Only the framing changes, as Windows gives it: the project's folder becomes `C:\\Users\\ada\\app` with backslashes
in every path of it (stack frames, tsc's file names), lines end in CRLF, and the log is saved as PowerShell 5's `>`
saves it (UTF-16LE with a BOM). Every other byte is the Linux capture's. The sidecar says which capture and how.
Run: `.venv/bin/python tests/captures/windows_framing.py` (after the captures it reads).
"""

from __future__ import annotations

import codecs
import json
import re
import sys

from common import FIXTURES

WINDOWS_ROOT = "C:\\Users\\ada\\app"
# Capture -> the Windows form's name, and how it is saved: as PowerShell 5's `>` saves it (UTF-16LE with a BOM), or
# as a terminal shows it (UTF-8: VS Code's terminal on Windows, `2>&1 | Out-File -Encoding utf8`).
FRAMED = {
    "node-undefined-delegate-stale-client": ("windows-node-undefined-delegate-utf16", "utf-16-le"),
    "next-build-stale-client-types": ("windows-next-build-stale-client-types-utf16", "utf-16-le"),
    # A client error's invocation path and code frame (`→ 3 prisma.user.findMany(`).
    "node-5-engine-library-invalid": ("windows-node-5-engine-library-invalid-crlf", "utf-8"),
}
_PROJECT_PATH = r"{root}(?P<rest>[^\s:'`()]*)"


def windows_text(text: str, project_root: str) -> str:
    """The project's paths as Windows paths under `WINDOWS_ROOT`, relative paths with backslashes, CRLF."""
    at_root = re.compile(_PROJECT_PATH.format(root=re.escape(project_root)))
    text = at_root.sub(lambda m: WINDOWS_ROOT + m.group("rest").replace("/", "\\"), text)
    # tsc's own relative names (`app.ts:6:53 - error`, `generated/client/index.d.ts:1740:5`).
    text = re.sub(
        r"(?m)^(\s*)([\w.-]+(?:/[\w.-]+)+)(?=[:(]\d)", lambda m: m.group(1) + m.group(2).replace("/", "\\"), text
    )
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def main() -> int:
    for source, (name, encoding) in FRAMED.items():
        sidecar = json.loads((FIXTURES / f"{source}.json").read_text(encoding="utf-8"))
        text = (FIXTURES / f"{source}.log").read_bytes().decode("utf-8")
        framed = windows_text(text, sidecar["project_root"])
        bom = codecs.BOM_UTF16_LE if encoding == "utf-16-le" else b""
        (FIXTURES / f"{name}.log").write_bytes(bom + framed.encode(encoding))
        sidecar.update(
            {
                "synthesized_from": source,
                "scenario": sidecar["scenario"]
                + " Windows framing: paths under C:\\Users\\ada\\app with backslashes, "
                + ("CRLF, saved as UTF-16LE with a BOM (PowerShell 5's `>`)." if bom else "CRLF, UTF-8."),
                "notes": "Synthesized by tests/captures/windows_framing.py from the Linux capture "
                f"{source}: no Windows capture of this form exists here.",
                "project_root": WINDOWS_ROOT,
            }
        )
        (FIXTURES / f"{name}.json").write_text(json.dumps(sidecar, indent=2, ensure_ascii=False) + "\n")
        print(f"{name}: from {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
