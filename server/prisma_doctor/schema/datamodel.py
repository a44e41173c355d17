"""The datamodel a schema describes, in the shape of Prisma's DMMF, with where each part was written.

Both the schema on disk and every generated client are read into this one shape, so drift is a comparison of two
values of the same type. As in Prisma's DMMF, models and views marked `@@ignore` and fields marked `@ignore` are
left out: the client has no API for them. Unlike the DMMF, `Unsupported(...)` fields are kept, with kind
"unsupported" (Prisma's DMMF leaves them out), and views have their own list (the DMMF puts them after the models).
"""

from __future__ import annotations

from prisma_doctor.schema.syntax import TYPE_CHECKING, Record

if TYPE_CHECKING:  # see syntax.py: `typing` and `findings` are left out of start-up
    from collections.abc import Iterable
    from typing import Any, Literal

    from prisma_doctor.findings import Location
    from prisma_doctor.schema.syntax import (
        Attribute,
        Block,
        EnumValueDeclaration,
        FieldDeclaration,
        SchemaFile,
    )

    FieldKind = Literal["scalar", "object", "enum", "unsupported"]
    # Where a part was written: its declaration (its file is `_path`).
    _Declaration = Block | FieldDeclaration | EnumValueDeclaration

# Field kinds that are columns of their model's table (a relation field is not).
COLUMN_KINDS = ("scalar", "enum", "unsupported")
SCALAR_TYPES = frozenset({"String", "Boolean", "Int", "BigInt", "Float", "Decimal", "DateTime", "Json", "Bytes"})


class _Located(Record):
    """A part of the datamodel with a `location` (its name in the schema); equality leaves the location out.

    The file and the declaration are two slots rather than a pair: one object fewer per field of a large schema.
    """

    __slots__ = ("_declaration", "_path")
    _path: str | None
    _declaration: _Declaration | None

    @property
    def location(self) -> Location | None:
        """Where the part's name was written, made when asked for (most never are)."""
        from prisma_doctor.findings import Location  # late: see the imports above

        if self._path is None or self._declaration is None:
            return None
        return Location(self._path, self._declaration.name_span)


class Field(_Located):
    __slots__ = ("db_name", "is_list", "is_required", "kind", "name", "type")
    FIELDS = ("name", "db_name", "kind", "type", "is_list", "is_required")

    def __init__(
        self,
        name: str,
        db_name: str | None,
        kind: FieldKind,
        type: str,
        is_list: bool,
        is_required: bool,
        path: str | None = None,
        declaration: _Declaration | None = None,
    ) -> None:
        self.name = name
        self.db_name = db_name
        self.kind = kind
        self.type = type
        self.is_list = is_list
        self.is_required = is_required
        self._path, self._declaration = path, declaration

    def to_dmmf(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dbName": self.db_name,
            "kind": self.kind,
            "type": self.type,
            "isList": self.is_list,
            "isRequired": self.is_required,
        }


class Model(_Located):
    """A model, a view or a composite type (composite types never have a `dbName`)."""

    __slots__ = ("db_name", "fields", "name")
    FIELDS = ("name", "db_name", "fields")

    def __init__(
        self,
        name: str,
        db_name: str | None,
        fields: tuple[Field, ...],
        path: str | None = None,
        declaration: _Declaration | None = None,
    ) -> None:
        self.name = name
        self.db_name = db_name
        self.fields = fields
        self._path, self._declaration = path, declaration

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def to_dmmf(self) -> dict[str, Any]:
        return {"name": self.name, "dbName": self.db_name, "fields": [f.to_dmmf() for f in self.fields]}


class EnumValue(_Located):
    __slots__ = ("db_name", "name")
    FIELDS = ("name", "db_name")

    def __init__(
        self, name: str, db_name: str | None, path: str | None = None, declaration: _Declaration | None = None
    ) -> None:
        self.name = name
        self.db_name = db_name
        self._path, self._declaration = path, declaration


class Enum(_Located):
    __slots__ = ("db_name", "name", "values")
    FIELDS = ("name", "db_name", "values")

    def __init__(
        self,
        name: str,
        db_name: str | None,
        values: tuple[EnumValue, ...],
        path: str | None = None,
        declaration: _Declaration | None = None,
    ) -> None:
        self.name = name
        self.db_name = db_name
        self.values = values
        self._path, self._declaration = path, declaration

    def to_dmmf(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "dbName": self.db_name,
            "values": [{"name": v.name, "dbName": v.db_name} for v in self.values],
        }


class Datamodel(Record):
    __slots__ = ("enums", "models", "types", "views")
    FIELDS = ("models", "views", "enums", "types")

    def __init__(
        self,
        models: tuple[Model, ...] = (),
        views: tuple[Model, ...] = (),
        enums: tuple[Enum, ...] = (),
        types: tuple[Model, ...] = (),
    ) -> None:
        self.models = models
        self.views = views
        self.enums = enums
        self.types = types

    @property
    def queryable(self) -> tuple[Model, ...]:
        """The models and the views: each has a delegate on the client (`prisma.postInfo`) and a relation in the
        database, and a runtime error names either the same way (`meta.modelName`, P2021's table)."""
        return self.models + self.views

    def model(self, name: str) -> Model | None:
        """The model or view called `name`."""
        return next((m for m in self.queryable if m.name == name), None)

    def is_view(self, model: Model) -> bool:
        return any(v is model for v in self.views)

    def to_dmmf(self) -> dict[str, Any]:
        return {
            "models": [m.to_dmmf() for m in self.models],
            "views": [m.to_dmmf() for m in self.views],
            "enums": [e.to_dmmf() for e in self.enums],
            "types": [t.to_dmmf() for t in self.types],
        }


def build_datamodel(files: Iterable[SchemaFile]) -> Datamodel:
    """Merge the blocks of every file of a (possibly multi-file) schema into one datamodel."""
    blocks = [(schema_file.path, block) for schema_file in files for block in schema_file.blocks]
    enum_names = {b.name for _, b in blocks if b.kind == "enum"}

    # A field's kind by its type's name; models, views and composite types are all "object" in the DMMF, and an
    # unknown type is read as one too, since that is what it would be once the schema is fixed.
    kinds: dict[str, FieldKind] = {name: "enum" for name in enum_names}
    kinds.update({name: "scalar" for name in SCALAR_TYPES})

    def read_fields(path: str, block: Block, composite: bool) -> tuple[Field, ...]:
        fields: list[Field] = []
        for declaration in block.fields:
            field_type = declaration.type
            if field_type is None:
                continue
            # `@ignore` and the first `@map` in one pass over the attributes (the hot loop of a large schema).
            mapped: Attribute | None = None
            for attribute in declaration.attributes:
                if attribute.name == "ignore":
                    break
                if attribute.name == "map" and mapped is None:
                    mapped = attribute
            else:
                unsupported = field_type.unsupported
                fields.append(
                    Field(
                        declaration.name,
                        mapped.string_argument("name") if mapped else None,
                        kinds.get(field_type.name, "object") if unsupported is None else "unsupported",
                        field_type.name if unsupported is None else unsupported,
                        field_type.is_list,
                        not field_type.optional,
                        path,
                        declaration,
                    )
                )
        return tuple(fields)

    def read_model(path: str, block: Block, composite: bool = False) -> Model:
        mapped = block.attribute("map")
        return Model(
            block.name,
            None if composite else (mapped.string_argument("name") if mapped else None),
            read_fields(path, block, composite),
            path,
            block,
        )

    def read_enum(path: str, block: Block) -> Enum:
        mapped = block.attribute("map")
        values: list[EnumValue] = []
        for value in block.values:
            value_map = value.attribute("map")
            values.append(
                EnumValue(
                    value.name,
                    value_map.string_argument("name") if value_map else None,
                    path,
                    value,
                )
            )
        return Enum(
            block.name,
            mapped.string_argument("name") if mapped else None,
            tuple(values),
            path,
            block,
        )

    return Datamodel(
        models=tuple(read_model(p, b) for p, b in blocks if b.kind == "model" and b.attribute("ignore") is None),
        views=tuple(read_model(p, b) for p, b in blocks if b.kind == "view" and b.attribute("ignore") is None),
        enums=tuple(read_enum(p, b) for p, b in blocks if b.kind == "enum"),
        types=tuple(read_model(p, b, composite=True) for p, b in blocks if b.kind == "type"),
    )
