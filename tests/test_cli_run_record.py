"""`prisma-doctor run` records its command's output for the language server, read by a thread per stream (Windows
cannot select() on pipes), even when the record cannot start anew because another process holds it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import doctor, set_append_only


def test_run_adds_to_a_record_it_cannot_start_anew_and_says_so(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"name": "app"}')
    record = tmp_path / ".prisma-doctor" / "dev-output.log"
    record.parent.mkdir(mode=0o700)
    record.write_bytes(b"the restarted dev server's output\n")
    # As on Windows while the dev server a repair restarted writes there: no removing it, only adding to it.
    set_append_only(record, True)
    try:
        done = doctor("run", "--", "sh", "-c", "echo out; echo err >&2; echo more", cwd=tmp_path, timeout=60)
    finally:
        set_append_only(record, False)

    assert done.returncode == 0, done.stderr
    assert done.stdout == "out\nmore\n"
    assert "err\n" in done.stderr
    assert "cannot record" not in done.stderr
    assert f"prisma-doctor: adding the output to {record} (could not start it anew: " in done.stderr
    kept = record.read_bytes()
    assert kept.startswith(b"the restarted dev server's output\n")
    assert sorted(kept.splitlines()[1:]) == [b"err", b"more", b"out"]


def test_run_passes_a_large_output_through_whole_and_in_order(tmp_path: Path) -> None:
    # More than the readers may hold waiting (16 chunks of up to 64 KiB): the command waits for us, nothing is lost.
    (tmp_path / "package.json").write_text('{"name": "app"}')
    script = "import sys\nfor i in range(200000): sys.stdout.write(f'line {i}\\n')\n"
    done = doctor("run", "--", "python3", "-c", script, cwd=tmp_path, text=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"".join(f"line {i}\n".encode() for i in range(200000))
    assert (tmp_path / ".prisma-doctor" / "dev-output.log").read_bytes() == done.stdout
