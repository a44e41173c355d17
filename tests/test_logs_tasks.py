"""A workspace runner's output (`turbo dev`): each task's lines read apart, whatever lines of other tasks come
between, and a task's relative frames made absolute from the folder its package manager's banner names."""

from __future__ import annotations

from pathlib import Path

from prisma_doctor.logs import events as ev
from prisma_doctor.logs.recognize import read_events, recognize

TURBO = Path(__file__).parent / "fixtures" / "tasks" / "turbo-2.6-pnpm-next-tsx.log"


def _summary(events: list[ev.Event]) -> list[tuple[str, str | None, str | None]]:
    shown: list[tuple[str, str | None, str | None]] = []
    for event in events:
        if isinstance(event, ev.ErrorRequest):
            # Which request an error failed with, when the line right after it says (another task's lines between
            # change which line that is; the request line that ends a block says the same).
            continue
        source = event.source if isinstance(event, ev.ClientError) else None
        name = getattr(event, "field", None) or getattr(event, "argument", None)
        shown.append((type(event).__name__, name, source.file if source else None))
    return shown


def test_each_task_of_turbo_is_read_with_its_own_folder() -> None:
    events = read_events([TURBO.read_bytes()])
    errors = [e for e in events if isinstance(e, ev.ClientError)]
    assert _summary(errors) == [
        ("UnknownField", "nickname", "/tmp/trial4-user-mono/apps/api/src/index.ts"),
        # Next printed `app/page.tsx`: the web task's folder, from pnpm's banner, not the folder the log is read for.
        ("UnknownArgument", "nickname", "/tmp/trial4-user-mono/apps/web/app/page.tsx"),
    ]
    assert not any(":dev:" in (e.text or "") for e in events), events


def test_a_task_error_cut_by_another_tasks_lines_is_read_whole() -> None:
    lines = TURBO.read_text(encoding="utf-8").splitlines()
    whole = _summary(recognize(lines))
    # Each of the web's lines followed by one of the api's: what turbo prints when both tasks talk at once.
    web = [line for line in lines if line.startswith("web:dev:")]
    api = [line for line in lines if line.startswith("api:dev:")]
    others = [line for line in lines if not line.startswith(("web:dev:", "api:dev:"))]
    interleaved = [line for pair in zip(web, api, strict=False) for line in pair]
    interleaved += web[len(api) :] + api[len(web) :] + others
    assert sorted(_summary(recognize(interleaved)), key=str) == sorted(whole, key=str)
    # And the same read through the chunked reader, cut anywhere.
    text = "\n".join(interleaved) + "\n"
    chunks = [text[i : i + 777].encode() for i in range(0, len(text), 777)]
    assert sorted(_summary(read_events(chunks)), key=str) == sorted(whole, key=str)


def test_lines_that_look_like_a_prefix_and_are_not_stay_one_stream() -> None:
    # Prisma's own debug lines, an error's code, a URL: no task prefix, so a block they are part of is not cut.
    lines = [
        "prisma:query SELECT 1",
        "Error: P1001: Can't reach database server at `db:5432`",
        "http://localhost:3000: listening",
    ]
    events = recognize(lines)
    assert [type(e).__name__ for e in events] == [type(e).__name__ for e in recognize(lines[1:2])], events


def test_a_log_of_endless_prefixes_keeps_a_bounded_number_of_readers() -> None:
    """Hostile input: every line a new `x:N:` prefix. Past `MAX_TASKS` they are read as one stream, in bounded
    memory, and the errors in them are still found."""
    from prisma_doctor.logs.tasks import MAX_TASKS, TaskRecognizer

    reader = TaskRecognizer()
    for number in range(MAX_TASKS * 50):
        reader.feed_line(f"x:{number}: line")
    assert reader.task_count == MAX_TASKS
    error = TURBO.read_text(encoding="utf-8").splitlines()
    later = [line.replace("api:dev:", "zz:dev:").replace("web:dev:", "zy:dev:") for line in error]
    events = [e for line in later for e in reader.feed_line(line)] + reader.flush()
    assert {type(e).__name__ for e in events} >= {"UnknownField", "UnknownArgument"}, events
