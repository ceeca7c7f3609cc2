// validate.mjs - check Kubernetes manifests offline against the API schemas.
// SPDX-License-Identifier: Apache-2.0
//
// Usage: node validate.mjs FILE.yaml...
// Each YAML document is validated by the kubernetes-models class for its
// apiVersion and kind: JSON Schema validators generated from the Kubernetes
// OpenAPI definitions (types, required fields, enums, formats).  Those
// schemas allow unknown fields, as the API server's non-strict decoding
// does; a misspelt field ("readinesProbe") would then pass and be dropped.
// So every field is also looked up in the model's type declarations, the
// same definitions as TypeScript types: an unknown field fails, as
// `kubectl apply --validate=strict` fails it.  Documents that are not API
// objects (a Kustomization) are named and skipped.  Prints one line per
// document; exit 1 if any failed.
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const models = join(here, "node_modules", "kubernetes-models");
const modules = join(here, "node_modules");

// The .d.ts file and group path of an apiVersion/kind, or null.
function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/")
    ? apiVersion.split("/") : [null, apiVersion];
  const dir = group === null ? version : `${group}/${version}`;
  const file = join(models, dir, `${kind}.d.ts`);
  return existsSync(file) ? { dir, file } : null;
}

// The first interface of a .d.ts: its properties (name -> type text) and
// the file each imported name comes from.
const parsed = new Map();
function parseDecl(file) {
  if (parsed.has(file)) return parsed.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    let p = m[2].startsWith(".") ? resolve(dirname(file), m[2])
      : join(modules, m[2]);
    p = p.replace(/\.js$/, "") + ".d.ts";
    imports.set(m[1], p);
  }
  const start = text.search(/export interface \w+[^{]*\{/);
  const props = new Map();
  if (start >= 0) {
    let i = text.indexOf("{", start) + 1, depth = 1;
    while (i < text.length && depth > 0) {
      if (text.startsWith("/**", i)) { i = text.indexOf("*/", i) + 2; continue; }
      const m = depth === 1 && /^"([^"]+)"\??:\s*/.exec(text.slice(i, i + 300));
      if (m) {
        let j = i + m[0].length, d = 0;
        while (j < text.length && !(d === 0 && text[j] === ";")) {
          if (text[j] === "{" || text[j] === "<") d++;
          if (text[j] === "}" || text[j] === ">") d--;
          j++;
        }
        props.set(m[1], text.slice(i + m[0].length, j).trim());
        i = j + 1;
        continue;
      }
      if (text[i] === "{") depth++;
      if (text[i] === "}") depth--;
      i++;
    }
  }
  const decl = { props, imports, isInterface: start >= 0 };
  parsed.set(file, decl);
  return decl;
}

// Unknown fields in VALUE, whose declared type is TYPE in FILE's scope.
function strict(value, type, decl, path, errors) {
  if (value === null || value === undefined) return;
  let m = /^Array<(.+)>$/s.exec(type);
  if (m) {
    if (Array.isArray(value))
      value.forEach((v, i) => strict(v, m[1].trim(), decl, `${path}[${i}]`, errors));
    return;
  }
  m = /^\{\s*\[key: string\]:\s*(.+?);?\s*\}$/s.exec(type);
  if (m) {
    if (typeof value === "object")
      for (const [k, v] of Object.entries(value))
        strict(v, m[1].trim(), decl, `${path}.${k}`, errors);
    return;
  }
  const file = decl.imports.get(type);
  if (file === undefined || typeof value !== "object" || Array.isArray(value)) return;
  checkObject(value, parseDecl(file), path, errors);
}

function checkObject(obj, decl, path, errors) {
  if (!decl.isInterface) return;           // an alias such as IntOrString
  for (const [k, v] of Object.entries(obj)) {
    const t = decl.props.get(k);
    if (t === undefined) {
      errors.push(`${path}.${k}: unknown field (known: ${[...decl.props.keys()].join(", ")})`);
      continue;
    }
    strict(v, t, decl, `${path}.${k}`, errors);
  }
}

let failed = 0, checked = 0;
for (const file of process.argv.slice(2)) {
  const docs = parseAllDocuments(readFileSync(file, "utf8"));
  for (const [n, d] of docs.entries()) {
    const where = `${file}#${n + 1}`;
    if (d.errors.length > 0) {
      console.log(`FAIL ${where}: YAML: ${d.errors[0].message}`);
      failed++;
      continue;
    }
    const obj = d.toJS();
    if (obj === null) continue;
    const { apiVersion, kind } = obj;
    if (kind === "Kustomization") {
      console.log(`skip ${where}: ${kind} is kustomize's, not an API object`);
      continue;
    }
    const mp = apiVersion && kind ? modelPath(apiVersion, kind) : null;
    if (mp === null) {
      console.log(`FAIL ${where}: no API schema for ${apiVersion} ${kind}`);
      failed++;
      continue;
    }
    const mod = await import(join(models, mp.dir, `${kind}.js`));
    const errors = [];
    try {
      new mod[kind](obj).validate();
    } catch (e) {
      errors.push(String(e.message ?? e).replace(/\s+/g, " "));
    }
    checkObject(obj, parseDecl(mp.file), kind, errors);
    checked++;
    if (errors.length > 0) {
      failed++;
      for (const e of errors) console.log(`FAIL ${where} ${kind}/${obj.metadata?.name}: ${e}`);
    } else {
      console.log(`ok ${where} ${apiVersion} ${kind}/${obj.metadata?.name}`);
    }
  }
}
console.log(`validate.mjs: ${checked} objects checked, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
