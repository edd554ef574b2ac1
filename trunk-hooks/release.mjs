// Finishes a release build in Trunk's staging folder (a post_build hook; debug builds skip it):
// 1. Trunk's own JS minifier cannot parse wasm-bindgen's glue (it stops at
//    `export { … as default }` and ships the file as it is), so the scripts are minified here
//    with esbuild, which `cargo xtask setup` installs into .tools/esbuild, and index.html's
//    integrity attributes get the new file's hash.
// 2. Every file gets precompressed siblings, `.gz` (GNU gzip -9) and `.br` (brotli 11),
//    which portal-proxy serves to browsers that accept them.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { brotliCompressSync, constants } from "node:zlib";

if (process.env.TRUNK_PROFILE !== "release") process.exit(0);

const require = createRequire(import.meta.url);
let esbuild;
try {
  esbuild = require("../.tools/esbuild/node_modules/esbuild");
} catch {
  console.error("release.mjs: esbuild is missing; run `cargo xtask setup`");
  process.exit(1);
}

const dir = process.env.TRUNK_STAGING_DIR;
const files = readdirSync(dir, { withFileTypes: true })
  .filter((entry) => entry.isFile())
  .map((entry) => entry.name);

const sri = (bytes) => "sha384-" + createHash("sha384").update(bytes).digest("base64");
const htmlPath = join(dir, "index.html");
let html = readFileSync(htmlPath, "utf8");
// Every script: the glue, and boot.js and extras.js, whose comments are for readers.
for (const name of files.filter((f) => f.endsWith(".js"))) {
  const path = join(dir, name);
  const source = readFileSync(path, "utf8");
  const { code } = esbuild.transformSync(source, { minify: true, format: "esm" });
  writeFileSync(path, code);
  html = html.replaceAll(sri(source), sri(code));
}
writeFileSync(htmlPath, html);

for (const name of files) {
  const path = join(dir, name);
  // -n: no name or time in the header, so the same input gives the same bytes.
  execFileSync("gzip", ["-9", "-n", "-k", "-f", path]);
  const bytes = readFileSync(path);
  const br = brotliCompressSync(bytes, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 11,
      [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
    },
  });
  writeFileSync(path + ".br", br);
}
