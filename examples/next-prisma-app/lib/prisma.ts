import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";

// One client per dev server: Next re-evaluates modules on every hot reload, and a fresh client each time
// would open a new connection each time. This is Prisma's recommended singleton, and also the reason a
// running `next dev` keeps using the client it loaded first, even after `prisma generate`.
const globalForPrisma = globalThis as unknown as { prisma?: PrismaClient };

function createPrismaClient(): PrismaClient {
  const adapter = new PrismaLibSQL({ url: process.env.DATABASE_URL ?? "file:./dev.db" });
  return new PrismaClient({ adapter });
}

export const prisma = globalForPrisma.prisma ?? createPrismaClient();

if (process.env.NODE_ENV !== "production") globalForPrisma.prisma = prisma;
