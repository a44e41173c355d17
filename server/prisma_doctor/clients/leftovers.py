"""Clients a generator left behind at an output it no longer uses.

No memory is needed: every client embeds the schema it was generated from, and that schema names the generator and
its `output` (relative to the schema file). A client found at the default `prisma-client-js` place, in a pnpm store
folder or anywhere in the project's own files, whose embedded generator has the current generator's name and
whose output, resolved against the current schema's folder, is where the client lies, was written by this generator
from this schema at an older output.
"""

from __future__ import annotations

from pathlib import Path

from prisma_doctor.clients.locate import (
    JS_GENERATOR,
    Generator,
    default_js_output,
    find_client_folders,
    pnpm_client_copies,
)
from prisma_doctor.clients.read import ClientUnreadable, GeneratedClient, read_client


def old_outputs(generator: Generator, project_root: Path, searched: list[Path] | None = None) -> list[GeneratedClient]:
    """Clients of `generator` at places other than its current output (pnpm copies of that output excluded).

    `searched` is the result of `find_client_folders(project_root)`, shared between the generators of one schema.
    """
    schema_dir = Path(generator.schema_file).parent
    default = default_js_output(schema_dir, project_root)
    candidates = list(searched if searched is not None else find_client_folders(project_root))
    if generator.declared_output is not None:
        # The generator used to write to the default place (or to a pnpm copy of it).
        candidates += [c for c in (default, *pnpm_client_copies(project_root)) if c is not None]
    current = {generator.output, *generator.other_copies}
    left: list[GeneratedClient] = []
    for folder in dict.fromkeys(candidates):
        if folder in current or not folder.is_dir():
            continue
        try:
            client = read_client(folder)
        except ClientUnreadable:
            continue
        if _written_by(client, generator, schema_dir, default):
            left.append(client)
    return left


def from_this_schema(client: GeneratedClient, generator: Generator) -> bool:
    """Whether a client in a shared place (a workspace root's pnpm store) may have come from this generator's schema.

    Prisma 5 and 6 record the schema file; Prisma 7 does not, and then a client whose embedded schema has a
    generator of this name is taken as ours.
    """
    if client.source_schema is not None:
        return _real(client.source_schema).parent == _real(Path(generator.schema_file).parent)
    return any(embedded.name == generator.name for embedded in client.generators)


def generated_from_elsewhere(client: GeneratedClient, generator: Generator) -> Path | None:
    """The other schema file a client was generated from, when it records one that exists and is not ours."""
    source = client.source_schema
    if source is None or not source.is_file():
        return None
    if _real(source).parent == _real(Path(generator.schema_file).parent):
        return None
    return source


def writes_there(client: GeneratedClient, source: Path) -> bool:
    """Whether the schema at `source`, as the client embeds it, generates into the client's folder: two projects
    sharing one output, rather than a client copied from the other project (a copied folder keeps the
    `sourceFilePath` of where it was generated)."""
    for embedded in client.generators:
        if embedded.output is not None:
            if _real(source.parent / embedded.output) == client.path:
                return True
        elif embedded.provider == JS_GENERATOR and default_js_output(source.parent, source.parent) == client.path:
            return True
    return False


def _written_by(client: GeneratedClient, generator: Generator, schema_dir: Path, default: Path | None) -> bool:
    if client.source_schema is not None and _real(client.source_schema).parent != _real(schema_dir):
        return False
    for embedded in client.generators:
        # The provider may have changed too (`prisma-client-js` to `prisma-client`): the name is what stays.
        if embedded.name != generator.name:
            continue
        if embedded.output is not None:
            return _real(schema_dir / embedded.output) == client.path
        if embedded.provider == JS_GENERATOR:
            return client.path == default or client.path.parent.parent.name == "node_modules"
    return False


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path
