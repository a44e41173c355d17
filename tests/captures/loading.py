"""The committed captures, for tests: raw output, sidecar, and the project's facts at capture time."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from prisma_doctor.database.target import datasource_provider
from prisma_doctor.diagnosis import ClientFacts, ProjectFacts, migrated_columns
from prisma_doctor.schema.datamodel import Datamodel, build_datamodel
from prisma_doctor.schema.parser import parse_schema

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "logs"


@dataclass(frozen=True)
class Capture:
    name: str
    output: bytes
    sidecar: dict[str, Any]

    def output_in(self, root: Path) -> bytes:
        """The output as the project at `root` would print it: the capture's paths moved there."""
        return self.output.replace(self.sidecar["project_root"].encode(), str(root).encode())

    def facts(self, root: str = "/project") -> ProjectFacts:
        """The project as it was when the capture ran, read with the doctor's own schema parser."""
        project = self.sidecar["project"]
        started = self.sidecar.get("dev_server_started_at")
        generated = self.sidecar.get("client_generated_at")
        migrations = project["migrations"] if isinstance(project["migrations"], dict) else {}
        return ProjectFacts(
            root=root,
            schema=_datamodel(project["schema"], f"{root}/prisma/schema.prisma") if project["schema"] else None,
            clients=tuple(
                ClientFacts(
                    f"{root}/{folder}",
                    _datamodel(text, f"{root}/{folder}/schema.prisma"),
                    datetime.fromisoformat(generated) if generated else None,
                )
                for folder, text in project["clients"].items()
            ),
            dev_server_started_at=datetime.fromisoformat(started) if started else None,
            migrations=tuple(migrations),
            migrated=migrated_columns(migrations),
            provider=datasource_provider([parse_schema(project["schema"])]) if project["schema"] else None,
        )


def _datamodel(text: str, path: str) -> Datamodel:
    return build_datamodel([parse_schema(text, path)])


def load(name: str) -> Capture:
    return Capture(
        name,
        (FIXTURES / f"{name}.log").read_bytes(),
        json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")),
    )


def names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.log") if not p.name.endswith(".next-development.log"))


def project_from_capture(name: str, root: Path) -> Path:
    """The capture's project as it was on disk: its schema, prisma.config.ts, its migrations and the code it ran,
    when the sidecar keeps them (the generated client is not kept)."""
    state = load(name).sidecar["project"]
    (root / "prisma").mkdir(parents=True)
    (root / "prisma" / "schema.prisma").write_text(state["schema"])
    (root / "package.json").write_text('{"name": "app"}')
    if state.get("config"):
        (root / "prisma.config.ts").write_text(state["config"])
    for migration, sql in (state["migrations"] or {}).items():
        folder = root / "prisma" / "migrations" / migration
        folder.mkdir(parents=True)
        (folder / "migration.sql").write_text(sql)
    for script, text in load(name).sidecar.get("scripts", {}).items():
        (root / script).write_text(text)
    for relative, text in state.get("sources", {}).items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return root
