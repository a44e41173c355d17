"""A syntax tree back to schema text, in one canonical layout.

Used where the doctor writes a schema it has read (and by the tests, which check that reading what was written
gives the same schema back). `///` documentation is kept; `//` and `/* */` comments are not part of the tree and
are not written. Columns are not aligned: that is `prisma format`'s job.
"""

from __future__ import annotations

from prisma_doctor.schema.syntax import (
    Argument,
    ArrayValue,
    Attribute,
    Block,
    ConstantValue,
    Expression,
    FieldDeclaration,
    FunctionValue,
    SchemaFile,
    StringValue,
)

_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def format_schema(schema: SchemaFile) -> str:
    return "\n".join(_block(block) for block in schema.blocks)


def _block(block: Block) -> str:
    lines = _doc(block.documentation, "")
    lines.append(f"{block.kind} {block.name} {{")
    for prop in block.properties:
        value = f" = {_expression(prop.value)}" if prop.value is not None else ""
        lines.append(f"  {prop.key}{value}")
    for declaration in block.fields:
        lines.extend(_doc(declaration.documentation, "  "))
        lines.append(f"  {_field(declaration)}")
    for enum_value in block.values:
        lines.extend(_doc(enum_value.documentation, "  "))
        lines.append("  " + " ".join([enum_value.name, *(_attribute(a) for a in enum_value.attributes)]))
    if block.attributes and (block.fields or block.values):
        lines.append("")
    lines.extend(f"  {_attribute(a)}" for a in block.attributes)
    lines.append("}")
    return "\n".join(lines) + "\n"


def _doc(documentation: str | None, indent: str) -> list[str]:
    if documentation is None:
        return []
    return [f"{indent}/// {line}".rstrip() for line in documentation.split("\n")]


def _field(declaration: FieldDeclaration) -> str:
    parts = [declaration.name]
    field_type = declaration.type
    if field_type is not None:
        base = (
            f"Unsupported({_string(field_type.unsupported)})" if field_type.unsupported is not None else field_type.name
        )
        parts.append(base + ("[]" if field_type.is_list else "") + ("?" if field_type.optional else ""))
    parts.extend(_attribute(a) for a in declaration.attributes)
    return " ".join(parts)


def _attribute(attribute: Attribute) -> str:
    marker = "@@" if attribute.is_block else "@"
    arguments = f"({_arguments(attribute.arguments)})" if attribute.arguments else ""
    return f"{marker}{attribute.name}{arguments}"


def _arguments(arguments: tuple[Argument, ...]) -> str:
    return ", ".join(
        f"{argument.name}: {_expression(argument.value)}" if argument.name else _expression(argument.value)
        for argument in arguments
    )


def _expression(value: Expression) -> str:
    if isinstance(value, StringValue):
        return _string(value.value)
    if isinstance(value, ConstantValue):
        return value.text
    if isinstance(value, ArrayValue):
        return "[" + ", ".join(_expression(item) for item in value.items) + "]"
    if isinstance(value, FunctionValue):
        return f"{value.name}({_arguments(value.arguments)})"
    return "{" + ", ".join(f"{m.key}: {_expression(m.value)}" for m in value.members) + "}"


def _string(text: str) -> str:
    escaped = "".join(_STRING_ESCAPES.get(char, char if ord(char) >= 0x20 else f"\\u{ord(char):04x}") for char in text)
    return f'"{escaped}"'
