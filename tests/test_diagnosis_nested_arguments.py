"""A field inside a relation's own arguments (`prisma.user.findMany({ select: { posts: { where: { views: 0 } } } })`)
is looked up on the relation's model (`Post`), not on the model called (user trial s13, item L1).

The captures are tests/captures/nested_arguments.py's: `Post.views` in the schema, not in the generated client.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from prisma_doctor.diagnosis import ClientFacts, ProjectFacts, diagnose
from prisma_doctor.logs import events as ev
from prisma_doctor.logs.recognize import read_events
from prisma_doctor.schema.datamodel import Datamodel, build_datamodel
from prisma_doctor.schema.parser import parse_schema
from tests.captures.loading import load

SHAPES = ("where", "some", "select", "orderby", "create")
# Prisma 6.17 names its own runtime as the invocation; Prisma 7.10 names the code's `prisma.user.*()`.
CAPTURES = [f"{prisma}-nested-{shape}-stale-client" for prisma in ("sqlite", "node-7") for shape in SHAPES]
PATHS = {
    "where": ("select", "posts", "where"),
    "some": ("where", "posts", "some"),
    "orderby": ("include", "posts", "orderBy"),
    "create": ("data", "posts", "create"),
}


def unknown(name: str) -> ev.UnknownArgument | ev.UnknownField:
    (event,) = [e for e in read_events([load(name).output]) if isinstance(e, (ev.UnknownArgument, ev.UnknownField))]
    return event


def with_client_of_schema(facts: ProjectFacts) -> ProjectFacts:
    """The client on disk generated from the schema, as after a `prisma generate` the running server never loaded."""
    assert facts.schema is not None
    return replace(facts, clients=tuple(ClientFacts(c.path, facts.schema, c.generated_at) for c in facts.clients))


@pytest.mark.parametrize("name", [n for n in CAPTURES if "select" not in n])
def test_the_path_to_the_rejected_argument_is_read_from_the_rendered_arguments(name: str) -> None:
    event = unknown(name)
    assert isinstance(event, ev.UnknownArgument)
    assert event.path == PATHS[name.split("-nested-")[1].split("-")[0]]


def test_prisma_7_names_the_outer_models_call() -> None:
    """The trap the fix is for: the invocation's accessor is `user`, the field is `Post`'s."""
    invocation = unknown("node-7-nested-where-stale-client").invocation
    assert invocation is not None and invocation.model_accessor == "user"


@pytest.mark.parametrize("name", CAPTURES)
def test_a_field_of_a_relations_arguments_missing_from_the_client_is_the_clients(name: str) -> None:
    capture = load(name)
    (finding,) = diagnose(read_events([capture.output]), capture.facts())
    assert finding.code == "client-out-of-sync", finding.message
    assert finding.data["model"] == "Post" and "`Post.views` is in the schema" in finding.message
    assert "regenerate" in finding.fixes
    schema = capture.facts().schema
    assert schema is not None and (post := schema.model("Post")) is not None and (views := post.field("views"))
    assert finding.related == (views.location,)


@pytest.mark.parametrize("name", CAPTURES)
def test_with_the_client_on_disk_holding_it_the_dev_server_is_stale(name: str) -> None:
    capture = load(name)
    facts = with_client_of_schema(capture.facts())
    generated = datetime(2026, 1, 1, tzinfo=timezone.utc)
    clients = tuple(replace(c, generated_at=generated) for c in facts.clients)
    started_before = replace(facts, clients=clients, dev_server_started_at=generated - timedelta(minutes=5))
    (finding,) = diagnose(read_events([capture.output]), started_before)
    assert finding.code == "dev-server-stale", finding.message
    assert "`Post.views`" in finding.message


def datamodel(text: str) -> Datamodel:
    return build_datamodel([parse_schema(text, "/p/prisma/schema.prisma")])


# Two models that take `published` (the one option Prisma listed beside the rejected `views` in the nested create)
# and both have `views` in the schema.
TWO_MODELS = """
model User {
  id     Int     @id
  email  String  @unique
  posts  Post[]
  drafts Draft[]
}

model Post {
  id        Int     @id
  title     String
  published Boolean @default(false)
  views     Int     @default(0)
  author    User    @relation(fields: [authorId], references: [id])
  authorId  Int
}

model Draft {
  id        Int     @id
  published Boolean @default(false)
  views     Int     @default(0)
  author    User    @relation(fields: [authorId], references: [id])
  authorId  Int
}
"""


def two_models(client: str) -> ProjectFacts:
    clients = (ClientFacts("/p/generated/client", datamodel(client), None),)
    return ProjectFacts(root="/p", schema=datamodel(TWO_MODELS), clients=clients)


def test_without_the_call_several_models_may_hold_it_and_none_is_named_as_if_sure() -> None:
    """Prisma 6.17's invocation names no model: the listed options fit `Post` and `Draft`, and the client lacks
    `views` on both: the finding says either, and what tells which."""
    client = TWO_MODELS.replace("  views     Int     @default(0)\n", "")
    (finding,) = diagnose(read_events([load("sqlite-nested-create-stale-client").output]), two_models(client))
    assert finding.code == "unknown-argument", finding.message
    assert finding.data["models"] == ["Post", "Draft"]
    assert "`Post` or `Draft`" in finding.message and "tells which" in finding.message


def test_the_model_whose_client_lacks_it_is_the_one_the_client_rejected_it_on() -> None:
    client = TWO_MODELS.replace(
        "  published Boolean @default(false)\n  views     Int     @default(0)\n  author",
        "  published Boolean @default(false)\n  author",
        1,
    )
    (finding,) = diagnose(read_events([load("sqlite-nested-create-stale-client").output]), two_models(client))
    assert finding.code == "client-out-of-sync" and finding.data["model"] == "Post", finding.message


def test_the_call_and_its_path_decide_between_models_that_take_the_same_options() -> None:
    """Prisma 7.10 names `prisma.user.create()` and the path `data`, `posts`, `create`: `Post`, not `Draft`."""
    client = TWO_MODELS.replace("  views     Int     @default(0)\n", "")
    (finding,) = diagnose(read_events([load("node-7-nested-create-stale-client").output]), two_models(client))
    assert finding.code == "client-out-of-sync" and finding.data["model"] == "Post", finding.message
