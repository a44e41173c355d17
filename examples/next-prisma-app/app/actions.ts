"use server";

import { revalidatePath } from "next/cache";
import { prisma } from "@/lib/prisma";

export async function renameUser(formData: FormData): Promise<void> {
  const id = Number(formData.get("id"));
  const name = String(formData.get("name") ?? "").trim();
  if (!Number.isInteger(id) || name === "") return;
  await prisma.user.update({ where: { id }, data: { name } });
  revalidatePath("/");
}
