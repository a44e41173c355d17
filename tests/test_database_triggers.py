"""Reading a trigger's code for names the database lacks: what counts as a reference and what does not."""

from __future__ import annotations

import pytest

from prisma_doctor.database import Catalog, Relation, Trigger, trigger_problems

USER = Relation("User", "table", ("id", "email", "emailVerified"), "public")
AUDIT = Relation("Audit", "table", ("id", "at", "who"), "public")


def problems(source: str, provider: str = "postgresql", events: tuple[str, ...] = ("UPDATE",)) -> list[tuple]:
    schema = "public" if provider == "postgresql" else None
    relations = tuple(Relation(r.name, r.kind, r.columns, schema) for r in (USER, AUDIT))
    trigger = Trigger("t", "User", events, "BEFORE", "f" if schema else "", source, schema)
    catalog = Catalog(provider, relations, (trigger,), schema)
    return [(p.table, p.column, p.near) for p in trigger_problems(catalog, relations[0], {"UPDATE"})]


def test_unquoted_names_are_folded_to_lower_case_and_quoted_ones_kept() -> None:
    assert problems("BEGIN NEW.emailverified := now(); RETURN NEW; END") == [("User", "emailverified", "emailVerified")]
    assert problems('BEGIN NEW."emailVerified" := now(); RETURN NEW; END') == []
    assert problems("BEGIN NEW.EMAIL := lower(NEW.Email); RETURN NEW; END") == []


def test_comments_strings_and_dollar_quoted_text_are_not_code() -> None:
    source = """BEGIN
      -- NEW.ghost in a comment
      /* UPDATE nowhere SET x = 1 */
      RAISE NOTICE 'NEW.ghost %', 'INSERT INTO nowhere (x)';
      EXECUTE $q$UPDATE nowhere SET x = 1$q$;
      RETURN NEW;
    END"""
    assert problems(source) == []


def test_writes_to_other_tables_name_the_missing_table_or_column() -> None:
    source = """BEGIN
      INSERT INTO "Audit" (at, who, "whom") VALUES (now(), NEW.email, NULL);
      UPDATE public."Audit" SET at = coalesce(now(), NULL), why = 'x', who = NEW.email WHERE id = NEW.id;
      DELETE FROM audit_log WHERE id = OLD.id;
      RETURN NEW;
    END"""
    assert problems(source) == [("Audit", "whom", None), ("Audit", "why", None), ("audit_log", None, None)]


def test_sqlite_names_are_compared_without_regard_to_case() -> None:
    source = 'CREATE TRIGGER t AFTER UPDATE ON "User" BEGIN UPDATE audit SET WHO = NEW.EMAIL; END'
    assert problems(source, provider="sqlite") == []
    assert problems(source.replace("WHO", "whom"), provider="sqlite") == [("Audit", "whom", None)]


@pytest.mark.parametrize("events", [("INSERT",), ("DELETE",)])
def test_a_trigger_that_does_not_fire_on_the_call_is_left_out(events: tuple[str, ...]) -> None:
    trigger = Trigger("t", "User", events, "BEFORE", "f", "BEGIN NEW.ghost := 1; END", "public")
    catalog = Catalog("postgresql", (USER,), (trigger,), "public")
    assert trigger_problems(catalog, USER, {"UPDATE"}) == []
    assert [p.column for p in trigger_problems(catalog, USER)] == ["ghost"]
