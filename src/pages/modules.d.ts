// Browser scripts the Worker serves as text: imported with `?raw`, which both
// vite (the test pool) and wrangler (the Text rule in wrangler.toml) read as
// the file's text.
declare module "*.client.js?raw" {
  const source: string;
  export default source;
}
