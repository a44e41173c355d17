"""Generated Prisma clients: where each generator's client is, and what it was built from."""
