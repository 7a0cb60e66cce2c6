// Builds the bundle once (`wrangler deploy --dry-run --outdir dist`) before the simulation suites.
// @ts-expect-error: plain ES module without types
import { build } from "../../bench/gateway.mjs";

export default function setup(): void {
  build();
}
