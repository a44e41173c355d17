"""The README is the contract for codes, fix ids and the two opening commands."""

from pathlib import Path

from prisma_doctor.findings import CODES, FIXES

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_finding_code_and_fix_id_is_listed() -> None:
    missing = [name for name in [*CODES, *FIXES] if f"| `{name}` |" not in README]
    assert missing == []


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    block = README.split("```bash\n", 1)[1].split("```", 1)[0].splitlines()
    assert [line.split("#")[0].strip() for line in block[:2]] == ["bash scripts/demo.sh", "bash scripts/test.sh"]
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/test.sh" in ci
