import { prisma } from "@/lib/prisma";
import { renameUser } from "./actions";

// Read the database on every request, never at build time.
export const dynamic = "force-dynamic";

export default async function UsersPage() {
  const users = await prisma.user.findMany({
    select: { id: true, email: true, name: true },
    orderBy: { id: "asc" },
  });
  return (
    <main>
      <h1>Users</h1>
      <ul>
        {users.map((user) => (
          <li key={user.id}>
            <span className="user-name">{user.name}</span> <span className="user-email">({user.email})</span>
            <form action={renameUser}>
              <input type="hidden" name="id" value={user.id} />
              <input name="name" defaultValue={user.name} aria-label={`New name for ${user.email}`} />
              <button type="submit">Rename</button>
            </form>
          </li>
        ))}
      </ul>
    </main>
  );
}
