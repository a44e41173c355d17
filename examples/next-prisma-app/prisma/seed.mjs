// Seeds a few users. Upserts by email, so running it twice changes nothing.
import { PrismaLibSQL } from "@prisma/adapter-libsql";
import { PrismaClient } from "@prisma/client";

const users = [
  { email: "ada@example.com", name: "Ada Lovelace" },
  { email: "grace@example.com", name: "Grace Hopper" },
  { email: "linus@example.com", name: "Linus Torvalds" },
];

const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: process.env.DATABASE_URL ?? "file:./dev.db" }) });
try {
  for (const user of users) {
    await prisma.user.upsert({ where: { email: user.email }, update: {}, create: user });
  }
  console.log(`Seeded ${users.length} users.`);
} finally {
  await prisma.$disconnect();
}
