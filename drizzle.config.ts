import { defineConfig } from "drizzle-kit";

// Migrations are generated from src/db/schema.ts into flat migrations/NNNN_*.sql
// files, which `wrangler d1 migrations apply` and the test setup both read.
export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema.ts",
  out: "./migrations",
});
