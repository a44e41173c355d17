"""Prisma Doctor: finds and repairs drift between a Prisma schema, its clients, the database and the dev server."""

__version__ = "0.1.0"
