"""Chunks to clean lines: escape sequences, line endings, chunk boundaries, long lines, noise and mojibake."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from prisma_doctor.logs.stream import TRUNCATION_MARK, LineReader, read_lines, repair_mojibake, strip_ansi
from tests.captures.loading import load


def lines_of(*chunks: bytes | str, max_line: int = 4096) -> list[str]:
    return list(read_lines(chunks, max_line))


def test_colours_cursor_codes_and_osc_sequences_are_removed() -> None:
    text = (
        "\x1b[1m\x1b[31mError: \x1b[39m\x1b[22mboom\x1b[0K\n\x1b]0;title\x07\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\\n"
    )
    assert lines_of(text) == ["Error: boom", "link"]


def test_crlf_split_between_chunks_is_one_line_break() -> None:
    assert lines_of("first\r", "\nsecond\r\n") == ["first", "second"]


def test_escape_sequence_split_between_chunks_is_still_removed() -> None:
    assert lines_of("a\x1b[3", "1mred\x1b", "[0m\n") == ["ared"]


def test_utf8_character_split_between_byte_chunks() -> None:
    data = "l'enregistrement « new »\n".encode()
    assert lines_of(*[data[i : i + 1] for i in range(len(data))]) == ["l'enregistrement « new »"]


def test_carriage_return_keeps_what_was_drawn_last() -> None:
    assert lines_of("⠋ Generating\r⠙ Generating\r✔ Generated Prisma Client\n") == ["✔ Generated Prisma Client"]


def test_long_lines_are_cut_and_memory_stays_bounded() -> None:
    reader = LineReader(max_line=100)
    out: list[str] = []
    for _ in range(1000):
        out += reader.feed("x" * 1000)
        assert reader._line_length <= 100
    out += reader.feed("\nnext\n")
    assert out == ["x" * 100 + TRUNCATION_MARK, "next"]


def test_binary_noise_is_dropped() -> None:
    noise = bytes(range(0, 32)) * 3 + b"\xff\xfe\xfd" * 20
    assert lines_of(b"before\n" + noise + b"\nafter\n") == ["before", "after"]


def test_last_line_without_newline_is_returned_on_close() -> None:
    assert lines_of("one\ntwo") == ["one", "two"]


def test_mojibake_from_cp1252_latin1_and_mac_roman_is_repaired() -> None:
    original = "l'enregistrement « new » n'a pas de champs « emailverified » → été"
    raw = original.encode()
    assert repair_mojibake(raw.decode("cp1252", errors="replace")) == original.replace("→", "→")
    assert repair_mojibake(raw.decode("latin-1")) == original
    assert repair_mojibake(raw.decode("mac_roman")) == original


def test_legitimate_accents_are_left_alone() -> None:
    for text in ("café «déjà»", "Ünïcödé ÀÉÎ", "naïve — façade", "50 °C ± 2"):
        assert repair_mojibake(text) == text


def test_strip_ansi_on_complete_text() -> None:
    assert strip_ansi("\x1b[32m'P2022'\x1b[39m") == "'P2022'"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=1, max_value=700), min_size=1, max_size=200))
def test_any_chunking_of_a_capture_gives_the_same_lines(sizes: list[int]) -> None:
    data = load("next-dev-p2022-server-action-external").output
    whole = lines_of(data)
    chunks, position = [], 0
    for size in sizes * (len(data) // max(sum(sizes), 1) + 1):
        chunks.append(data[position : position + size])
        position += size
        if position >= len(data):
            break
    assert lines_of(*chunks) == whole
