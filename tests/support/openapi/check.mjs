// Checks radbridge's OpenAPI document, then the admin API's answers against it.
//
//   node check.mjs OPENAPI.json EXCHANGES.json
//
// EXCHANGES.json: [{"method": "GET", "path": "/api/v1/messages?limit=2",
// "status": 200, "body": "{...}"}, ...], the answers a test received. The
// document must be valid OpenAPI; each answer must match its operation
// (path template and method), name a status the operation lists, and have a
// body that its JSON schema accepts; every operation of the document must
// have been answered at least once. Prints one line per problem; exit 0
// when there is none.
import { readFileSync } from "node:fs";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

const [docFile, exchangesFile] = process.argv.slice(2);
const doc = JSON.parse(readFileSync(docFile, "utf8"));
const exchanges = JSON.parse(readFileSync(exchangesFile, "utf8"));
const problems = [];

const validator = new Validator();
const checked = await validator.validate(structuredClone(doc));
if (!checked.valid) problems.push(`openapi.json is not valid OpenAPI ${doc.openapi}: ${JSON.stringify(checked.errors)}`);

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, "openapi.json");
const pointer = (parts) => parts.map((p) => String(p).replaceAll("~", "~0").replaceAll("/", "~1")).join("/");

const operations = [];
for (const [template, item] of Object.entries(doc.paths)) {
  const pattern = new RegExp("^" + template.replace(/\{[^}]+\}/g, "[^/]+") + "$");
  for (const method of ["get", "post", "put", "delete", "patch"]) {
    if (item[method]) operations.push({ template, method, pattern, answered: false });
  }
}

for (const x of exchanges) {
  const path = x.path.split("?")[0];
  const method = x.method.toLowerCase();
  const op = operations.find((o) => o.method === method && o.pattern.test(path));
  const where = `${x.method} ${x.path} ${x.status}`;
  if (!op) {
    problems.push(`${where}: no operation of the document`);
    continue;
  }
  op.answered = true;
  const responses = doc.paths[op.template][method].responses;
  const status = String(x.status);
  if (!responses[status]) {
    problems.push(`${where}: status not listed (${Object.keys(responses).join(", ")})`);
    continue;
  }
  const content = responses[status].content?.["application/json"];
  if (!content) continue;
  let body;
  try {
    body = JSON.parse(x.body);
  } catch (e) {
    problems.push(`${where}: body is not JSON: ${e.message}`);
    continue;
  }
  const ref = "openapi.json#/" + pointer(["paths", op.template, method, "responses", status, "content", "application/json", "schema"]);
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(body)) problems.push(`${where}: ${ajv.errorsText(validate.errors)}`);
}
for (const op of operations) {
  if (!op.answered) problems.push(`${op.method.toUpperCase()} ${op.template}: never answered`);
}

for (const p of problems) console.log(p);
console.log(`${exchanges.length} answers, ${operations.length} operations, ${problems.length} problems`);
process.exit(problems.length === 0 ? 0 : 1);
