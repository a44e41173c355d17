"""The Prisma schema language: syntax tree, datamodel, and where a project's schema lives."""

from prisma_doctor.schema.datamodel import Datamodel, Enum, EnumValue, Field, Model, build_datamodel
from prisma_doctor.schema.locate import LoadedSchema, SchemaNotFound, load_schema, locate_schema
from prisma_doctor.schema.parser import parse_schema

__all__ = [
    "Datamodel",
    "Enum",
    "EnumValue",
    "Field",
    "LoadedSchema",
    "Model",
    "SchemaNotFound",
    "build_datamodel",
    "load_schema",
    "locate_schema",
    "parse_schema",
]
