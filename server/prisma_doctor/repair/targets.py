"""What the repair acts on: every generator's client folders (every pnpm copy), split into inside and outside.

Built on the check's own view of the project (`prisma_doctor.check.inspect_project`), so that the repair removes
exactly the clients the check judged and verification compares like with like.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prisma_doctor.check import ProjectState, inspect_project
from prisma_doctor.repair.safe_fs import is_inside


@dataclass(frozen=True)
class ClientFolder:
    generator: str
    path: Path  # absolute, as found (its last part may be a link)
    inside: bool  # False: it, or what its link leads to, is outside the project: reported and never touched
    is_output: bool = True  # where `prisma generate` writes; False for an older copy it leaves alone


@dataclass(frozen=True)
class Targets:
    state: ProjectState
    clients: tuple[ClientFolder, ...]
    # The `--schema` argument for `prisma generate`, or None when Prisma finds the schema by itself.
    schema_argument: str | None

    @property
    def inside(self) -> list[ClientFolder]:
        return [c for c in self.clients if c.inside]

    @property
    def outside(self) -> list[ClientFolder]:
        return [c for c in self.clients if not c.inside]


def _inside(path: Path, root: Path) -> bool:
    """Inside the project both as written and where its links lead: generate follows links when it writes."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        return False
    return is_inside(path, root) and is_inside(real, root) and real != root and path != root


def find_targets(root: Path, schema_path: Path | None = None) -> Targets:
    state = inspect_project(root, schema_path)
    folders: list[ClientFolder] = []
    for client in state.clients:
        generator = client.generator
        if generator.output is not None:
            folders.append(ClientFolder(generator.name, generator.output, _inside(generator.output, root)))
        for path in dict.fromkeys(generator.other_copies):
            if path != generator.output:
                folders.append(ClientFolder(generator.name, path, _inside(path, root), is_output=False))
    argument = None
    if schema_path is not None:
        argument = str(schema_path if schema_path.is_absolute() else Path.cwd() / schema_path)
    return Targets(state, tuple(folders), argument)
