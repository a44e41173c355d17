"""The declarations of a block's lines, from their tokens: a field, an enum value, a datasource's or generator's
property, a block attribute. Each reads one line from the cursor, reports what is wrong in it, and stops at its end.
"""

from __future__ import annotations

from prisma_doctor.schema.syntax import (
    Attribute,
    ConfigProperty,
    EnumValueDeclaration,
    Expression,
    FieldDeclaration,
    FieldType,
)
from prisma_doctor.schema.token_reader import shown
from prisma_doctor.schema.tokenizer import END, KIND, START, TEXT, Token
from prisma_doctor.schema.values import ValueReader, unquote

# What may follow a type name and make it more than a bare `Type` (a list, optional, `!`, `Unsupported(...)`).
_TYPE_SUFFIXES = frozenset({"[", "?", "!", "("})


class DeclarationReader(ValueReader):
    """Reads the declaration on the line at the cursor."""

    def parse_field(self, documentation: str | None) -> FieldDeclaration | None:
        """`name Type? @attribute...`, with the `documentation` written above it; None when no name starts it."""
        tokens = self.tokens
        name = tokens[self.index]
        if name[KIND] != "ident":
            self.error(f"expected a field name, found `{shown(name[TEXT])}`", name[START], name[END])
            self.skip_line()
            return None
        self.index += 1
        if tokens[self.index][TEXT] == ":":
            colon = self.advance()
            self.error("field declarations take no `:` between the name and the type", colon[START], colon[END])
        field_type = self.parse_field_type(name)
        attributes = tuple(self.parse_attributes()) if tokens[self.index][TEXT] == "@" else ()
        end = tokens[self.index - 1][END]
        following = tokens[self.index][KIND]
        if following == "doc":
            documentation = self.trailing_doc(documentation)
        if following != "newline":
            self.expect_line_end()
        return FieldDeclaration(
            name[TEXT], field_type, attributes, documentation, name[END], name[START], end, self.lines
        )

    def parse_field_type(self, name: Token) -> FieldType | None:
        """The type after the field `name`: `Type`, `Type?`, `Type[]`, `Unsupported("...")`, and errors for others."""
        tokens, i = self.tokens, self.index
        kind, type_name, start, end = tokens[i]
        if kind == "ident" and type_name != "Unsupported" and tokens[i + 1][TEXT] not in _TYPE_SUFFIXES:
            # The common case, a bare `Type`.
            self.index = i + 1
            return FieldType(type_name, False, False, None, start, end, self.lines)
        token = self.peek()
        legacy_list: Token | None = None
        if token is not None and token[KIND] == "punct" and token[TEXT] == "[":
            # `[Int]`, the list syntax of Prisma 1.
            legacy_list = token
            self.index += 1
            token = self.peek()
        if token is None or token[KIND] != "ident":
            self.error(f"field `{name[TEXT]}` has no type", name[START], name[END])
            return None
        self.index += 1
        start, type_name, unsupported = token[START], token[TEXT], None
        if type_name == "Unsupported" and self.at("("):
            self.index += 1
            literal = self.peek()
            if literal is not None and literal[KIND] == "string":
                unsupported = unquote(literal[TEXT])
                self.index += 1
            else:
                self.error("`Unsupported` takes the database type as a string", token[START], token[END])
            if self.at(")"):
                self.index += 1
            else:
                self.error("expected `)` after `Unsupported(...`", token[START], self.end_of_previous())
        optional = is_list = False
        if legacy_list is not None:
            is_list = True
            if self.at("]"):
                self.index += 1
            self.error(
                f"write a list as `{type_name}[]`, not `[{type_name}]`", legacy_list[START], self.end_of_previous()
            )
        elif self.at("[") and (closing := self.peek(1)) is not None and closing[TEXT] == "]" and self.adjacent(1):
            self.index += 2
            is_list = True
        if self.at("?"):
            self.index += 1
            optional = True
            if is_list:
                self.error("a list cannot be optional: use `Type[]` or `Type?`", start, self.end_of_previous())
        if self.at("!"):
            bang = self.advance()
            self.error("fields are required by default: `!` is not valid in a field type", start, bang[END])
        return FieldType(type_name, optional, is_list, unsupported, start, self.end_of_previous(), self.lines)

    def parse_enum_value(self, documentation: str | None) -> EnumValueDeclaration | None:
        """`NAME @map("name")`, with the `documentation` written above it; None when no name starts it."""
        name = self.advance()
        if name[KIND] != "ident":
            self.error(f"expected an enum value, found `{shown(name[TEXT])}`", name[START], name[END])
            self.index -= 1
            self.skip_line()
            return None
        attributes = self.parse_attributes() if self.tokens[self.index][TEXT] == "@" else ()
        end = self.end_of_previous()
        documentation = self.trailing_doc(documentation)
        self.expect_line_end()
        return EnumValueDeclaration(
            name[TEXT], tuple(attributes), documentation, name[END], name[START], end, self.lines
        )

    def parse_property(self) -> ConfigProperty | None:
        """`key = value` in a datasource or a generator; None when no name starts it."""
        key = self.advance()
        if key[KIND] != "ident":
            self.error(f"expected a property name, found `{shown(key[TEXT])}`", key[START], key[END])
            self.index -= 1
            self.skip_line()
            return None
        value: Expression | None = None
        if self.at("="):
            self.index += 1
            value = self.guarded(self.parse_expression, None)
            if value is None:
                self.error(f"`{key[TEXT]}` has no value", key[START], self.end_of_previous())
        else:
            self.error(f"expected `=` after `{key[TEXT]}`", key[START], key[END])
        end = self.end_of_previous()
        self.trailing_doc(None)
        self.expect_line_end()
        return ConfigProperty(key[TEXT], value, key[END], key[START], end, self.lines)

    def parse_block_attribute(self) -> Attribute | None:
        """`@@name(...)` and the end of its line."""
        attribute = self.parse_attribute()
        self.expect_line_end()
        return attribute
