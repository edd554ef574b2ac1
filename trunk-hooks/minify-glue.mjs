// Trunk's own JS minifier cannot parse wasm-bindgen's glue (it stops at
// `export { … as default }` and ships the file as it is), so release builds minify the
// glue here with esbuild, which `cargo xtask setup` installs into .tools/esbuild, and
// put the new file's hash into index.html's integrity attributes.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

if (process.env.TRUNK_PROFILE !== "release") process.exit(0);

const require = createRequire(import.meta.url);
let esbuild;
try {
  esbuild = require("../.tools/esbuild/node_modules/esbuild");
} catch {
  console.error("minify-glue: esbuild is missing; run `cargo xtask setup`");
  process.exit(1);
}

const dir = process.env.TRUNK_STAGING_DIR;
const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const htmlPath = join(dir, "index.html");
let html = readFileSync(htmlPath, "utf8");
// boot.js is copied as written; the glue is the other script.
for (const name of readdirSync(dir).filter((f) => f.endsWith(".js") && f !== "boot.js")) {
  const path = join(dir, name);
  const source = readFileSync(path, "utf8");
  const { code } = esbuild.transformSync(source, { minify: true, format: "esm" });
  writeFileSync(path, code);
  html = html.replaceAll(sri(source), sri(code));
}
writeFileSync(htmlPath, html);
