"""Logs that are not plain UTF-8: the findings of the UTF-8 capture they were made from, or a clear refusal.

PowerShell 5's `>` writes UTF-16LE with a BOM and CRLF line ends, `Out-File -Encoding utf32` UTF-32, Notepad UTF-8
with a BOM, some Windows tools UTF-16 without one. Each capture under tests/fixtures/logs/ (its sidecar says how it
was made) is re-encoded here each of those ways and read by the real CLI (`explain FILE`, `explain -`, `run`) and by
the reader itself, cut into chunks anywhere; binary data gives a message and exit code 2, not a quiet "nothing found".
"""

from __future__ import annotations

import codecs
import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from prisma_doctor.logs.encoding import MIN_SAMPLE, StreamDecoder, sniff
from prisma_doctor.logs.recognize import read_events
from prisma_doctor.logs.stream import LineReader, read_lines
from tests.captures.loading import FIXTURES, load, names, project_from_capture
from tests.helpers import doctor


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


ENCODINGS: dict[str, Callable[[str], bytes]] = {
    "utf-8 BOM": lambda text: codecs.BOM_UTF8 + text.encode("utf-8"),
    "utf-8 CRLF": lambda text: crlf(text).encode("utf-8"),
    "utf-16le BOM CRLF (PowerShell 5 >)": lambda text: codecs.BOM_UTF16_LE + crlf(text).encode("utf-16-le"),
    "utf-16le BOM": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16be BOM": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "utf-16le": lambda text: text.encode("utf-16-le"),
    "utf-16be": lambda text: text.encode("utf-16-be"),
    "utf-32le BOM": lambda text: codecs.BOM_UTF32_LE + text.encode("utf-32-le"),
    "utf-32be BOM": lambda text: codecs.BOM_UTF32_BE + text.encode("utf-32-be"),
}
# A Next dev server's terminal output (✓, ⨯ and colours) and a script's, read with its project.
CLI_CAPTURES = ("next-dev-p2022-server-action-external", "sqlite-p2022-missing-column")


def text_of(name: str) -> str:
    data = load(name).output
    # The Windows captures are saved as PowerShell saves them; the text is what counts here.
    return data.decode("utf-16") if data.startswith(codecs.BOM_UTF16_LE) else data.decode("utf-8")


@pytest.fixture(scope="module")
def utf8_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[str], Path, dict]]:
    """Per capture: the arguments that read it (with its project when it has one) and the UTF-8 original's report."""
    reports = {}
    for name in CLI_CAPTURES:
        root = tmp_path_factory.mktemp(name)
        args = ["--json"]
        if load(name).sidecar["project"]["schema"]:
            args += ["--project", str(project_from_capture(name, root / "app"))]
        done = doctor("explain", str(FIXTURES / f"{name}.log"), *args, cwd=root, text=False)
        report = json.loads(done.stdout)
        assert report["findings"], f"{name}: the original gives findings to compare with"
        reports[name] = (args, root, report)
    return reports


@pytest.mark.parametrize("encoding", ENCODINGS)
@pytest.mark.parametrize("name", CLI_CAPTURES)
def test_explain_a_file_gives_the_findings_of_the_utf8_original(name: str, encoding: str, utf8_reports) -> None:
    args, root, report = utf8_reports[name]
    log = root / f"{encoding}.log"
    log.write_bytes(ENCODINGS[encoding](text_of(name)))
    done = doctor("explain", str(log), *args, cwd=root, text=False)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["findings"] == report["findings"]


def test_explain_standard_input_in_utf16(utf8_reports) -> None:
    name = "next-dev-p2022-server-action-external"
    args, root, report = utf8_reports[name]
    data = ENCODINGS["utf-16le BOM CRLF (PowerShell 5 >)"](text_of(name))
    done = doctor("explain", "-", *args, cwd=root, text=False, input=data)
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["findings"] == report["findings"]


def test_explain_a_next_dev_log_copied_by_powershell(tmp_path: Path) -> None:
    """Next's JSON-lines log, rewritten by `Get-Content ... > copy.log`: UTF-16LE with a BOM and CRLF."""
    original = FIXTURES / "next-dev-p2022-server-action-external.next-development.log"
    copy = tmp_path / "copy.log"
    copy.write_bytes(ENCODINGS["utf-16le BOM CRLF (PowerShell 5 >)"](original.read_text(encoding="utf-8")))
    expected = doctor("explain", str(original), "--json", cwd=tmp_path, text=False)
    done = doctor("explain", str(copy), "--json", cwd=tmp_path, text=False)
    assert done.returncode == expected.returncode == 1, done.stderr
    findings = json.loads(done.stdout)["findings"]
    assert findings == json.loads(expected.stdout)["findings"]
    assert [f["code"] for f in findings] == ["db-missing-column", "db-object-error"]


def test_run_reads_a_command_that_prints_utf16(tmp_path: Path) -> None:
    log = tmp_path / "utf16.log"
    log.write_bytes(ENCODINGS["utf-16le BOM"](text_of("next-dev-p2022-server-action-external")))
    done = doctor("run", "--", "sh", "-c", f"cat '{log}'", cwd=tmp_path, text=False)
    assert done.returncode == 0
    assert done.stdout == log.read_bytes()  # passed through as it came
    assert done.stderr.count(b"[db-missing-column]") == 1


def cut(data: bytes, rng: random.Random) -> list[bytes]:
    chunks, position = [], 0
    while position < len(data):
        size = rng.choice([1, 2, 3, 5, 63, 64, 65, 511, 4096, 65536])
        chunks.append(data[position : position + size])
        position += size
    return chunks


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_capture_reads_the_same_in_every_encoding_cut_anywhere(encoding: str) -> None:
    for name in names():
        text = text_of(name)
        lines = list(read_lines([text.encode("utf-8")]))
        events = read_events([text.encode("utf-8")])
        assert events, name
        encoded = ENCODINGS[encoding](text)
        for seed in range(3):
            chunks = cut(encoded, random.Random(f"{name}{encoding}{seed}"))
            assert list(read_lines(chunks)) == lines, name
            assert read_events(chunks) == events, name


def test_a_short_stream_is_decided_when_it_ends() -> None:
    for encoding, encode in ENCODINGS.items():
        data = encode("✓ Ready in 1s\n")
        assert len(data) < MIN_SAMPLE  # fewer bytes than it takes to tell without a BOM
        reader = LineReader()
        assert reader.feed(data) + reader.close() == ["✓ Ready in 1s"], encoding


def test_no_utf8_line_waits_for_the_encoding_to_be_told() -> None:
    """`run` and the editor report a lone first line at once, not when more output comes."""
    reader = LineReader()
    assert reader.feed(b"Can't reach database server at `db:5432`\n") == ["Can't reach database server at `db:5432`"]


def test_a_first_line_in_utf16_without_a_bom_waits_for_the_sample() -> None:
    reader = LineReader()
    data = "Can't reach database server at `db:5432`\n".encode("utf-16-le")
    assert reader.feed(data[: MIN_SAMPLE - 1]) == []
    assert reader.feed(data[MIN_SAMPLE - 1 :]) == ["Can't reach database server at `db:5432`"]


@pytest.mark.parametrize("head", ["plain text, NULs nowhere\n" * 4, "a NUL\x00 or two\x00 in UTF-8 text\n" * 4])
def test_utf8_stays_utf8(head: str) -> None:
    assert sniff(head.encode("utf-8")) == ("utf-8", 0)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_text_without_a_bom_is_told_by_its_nul_bytes(encoding: str) -> None:
    # Ā (U+0100) and Ȁ (U+0200) put a zero byte where ASCII puts none: a few of them do not hide the encoding.
    text = "Āmount: 1, ✓ done\n" * 8
    assert sniff(text.encode(encoding)) == (encoding, 0)


def test_binary_data_is_read_as_utf8() -> None:
    rng = random.Random(7)
    for _ in range(50):
        data = rng.randbytes(600)
        assert sniff(data, final=True)[0] == "utf-8"


def test_odd_bytes_and_lone_boms_do_not_break_the_reader() -> None:
    for data in [b"\xff\xfe", b"\xfe\xff", b"\xef\xbb", b"\xff\xfe\x00", b"\xff\xfe\x00\x00\x00", b"\x00" * 1000]:
        for size in (1, 2, 3, len(data)):
            reader = LineReader()
            for start in range(0, len(data), size):
                reader.feed(data[start : start + size])
            reader.close()
    decoder = StreamDecoder()
    assert decoder.decode(codecs.BOM_UTF16_LE + "ab".encode("utf-16-le")[:3], final=True) == "a\ufffd"


RANDOM_BYTES = random.Random(3).randbytes(20000)


@pytest.mark.parametrize("data", [RANDOM_BYTES, Path("/bin/sh")], ids=["random bytes", "an executable"])
def test_explain_refuses_binary_data_clearly(data: bytes | Path, tmp_path: Path) -> None:
    if isinstance(data, Path):
        if not data.is_file():
            pytest.skip(f"no {data} here")
        data = data.read_bytes()
    log = tmp_path / "garbage.bin"
    log.write_bytes(data)
    for args, stdin in (([str(log)], None), (["-"], data)):
        done = doctor("explain", *args, "--json", cwd=tmp_path, text=False, input=stdin)
        assert done.returncode == 2
        assert b"does not look like a log: most of its lines are binary data" in done.stderr
        assert b"Traceback" not in done.stderr and done.stdout == b""
