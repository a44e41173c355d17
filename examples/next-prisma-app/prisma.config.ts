// Prisma's native schema engine cannot be downloaded here, so the CLI runs migrations through the
// same libSQL driver adapter as the app (its WebAssembly schema engine ships inside the `prisma` package).
// With a config file Prisma no longer reads .env by itself: load it here.
import path from "node:path";
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { defineConfig } from "prisma/config";

process.loadEnvFile(path.join(__dirname, ".env"));

export default defineConfig({
  experimental: { adapter: true },
  schema: path.join("prisma", "schema.prisma"),
  async adapter() {
    return new PrismaLibSQL({ url: process.env.DATABASE_URL ?? "file:./prisma/dev.db" });
  },
});
