// ESLint rule: imports flow shared <- hardware <- controller, shared <- firmware-host,
// shared <- office (the municipality's side: console, office CLI, signer, dev PKI), and
// test/bench/tools may import everything but office, which only test/ may
// import. `shared/` also stays free of I/O modules.
import path from 'node:path';

/** Which top-level folders each folder may import from (besides itself). */
export const ALLOWED = {
  shared: [],
  hardware: ['shared'],
  'firmware-host': ['shared'],
  controller: ['shared', 'hardware', 'firmware-host'],
  office: ['shared'],
  test: ['shared', 'hardware', 'firmware-host', 'controller', 'office', 'bench', 'tools'],
  bench: ['shared', 'hardware', 'firmware-host', 'controller', 'test', 'tools'],
  tools: ['shared', 'hardware', 'firmware-host', 'controller'],
};

/** Node built-ins that mean I/O: `shared/` is wire contracts only. */
const IO_MODULES = new Set([
  'fs',
  'fs/promises',
  'net',
  'tls',
  'http',
  'https',
  'http2',
  'dgram',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
  'process',
]);

function topFolder(root, file) {
  const rel = path.relative(root, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const first = rel.split(path.sep)[0];
  return Object.hasOwn(ALLOWED, first) ? first : undefined;
}

/** @type {import('eslint').Rule.RuleModule} */
export const importDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'enforce the import direction between the top-level folders' },
    schema: [
      { type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false },
    ],
    messages: {
      direction: "'{{from}}/' must not import from '{{to}}/' (allowed: {{allowed}})",
      io: "'shared/' holds wire contracts only and must not import the I/O module '{{module}}'",
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const from = topFolder(root, file);
    if (!from) return {};
    function check(node, source) {
      if (typeof source !== 'string') return;
      if (source.startsWith('.')) {
        const target = path.resolve(path.dirname(file), source);
        const to = topFolder(root, target);
        if (to && to !== from && !ALLOWED[from].includes(to)) {
          context.report({
            node,
            messageId: 'direction',
            data: { from, to, allowed: ALLOWED[from].join(', ') || 'none' },
          });
        }
      } else if (from === 'shared') {
        const bare = source.replace(/^node:/, '');
        if (IO_MODULES.has(bare))
          context.report({ node, messageId: 'io', data: { module: source } });
      }
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

/**
 * Layers inside controller/: domain <- flows <- adapters <- app. `controller/domain/` is pure
 * (imports only itself and shared/), `controller/flows/` imports domain and itself, the
 * adapters (every other folder of controller/) never import the app (the composition root
 * in controller/app/, the process shell, the CLI and the demo). Type-only imports count too,
 * except a flow's `import type` of an adapter (a Logger): types carry no behaviour. Test
 * files are exempt (they build what they test).
 */
const APP = ['app', 'station', 'daemon', 'cli', 'demo'];

/** The layer of a file inside controller/, or undefined outside it. */
export function coreLayer(root, file) {
  const rel = path.relative(path.join(root, 'controller'), file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  const first = rel.split(path.sep)[0].replace(/\.(js|ts)$/, '');
  if (first === 'domain') return 'domain';
  if (first === 'flows') return 'flows';
  if (APP.includes(first)) return 'app';
  return 'adapters';
}

const RANK = { domain: 0, flows: 1, adapters: 2, app: 3 };

/** @type {import('eslint').Rule.RuleModule} */
export const coreLayers = {
  meta: {
    type: 'problem',
    docs: { description: 'keep the layers inside controller/ one way' },
    schema: [
      { type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false },
    ],
    messages: {
      layer:
        "controller layer '{{from}}' must not import '{{to}}' (domain <- flows <- adapters <- app)",
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    if (/\.test\.ts$/.test(file)) return {};
    const from = coreLayer(root, file);
    if (!from) return {};
    function check(node, source, typeOnly) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = coreLayer(root, path.resolve(path.dirname(file), source));
      if (!to || RANK[to] <= RANK[from]) return;
      if (typeOnly && from === 'flows' && to === 'adapters') return;
      context.report({ node, messageId: 'layer', data: { from, to } });
    }
    return {
      ImportDeclaration: (node) => check(node, node.source.value, node.importKind === 'type'),
      ExportNamedDeclaration: (node) =>
        node.source && check(node, node.source.value, node.exportKind === 'type'),
      ExportAllDeclaration: (node) => check(node, node.source.value, false),
      ImportExpression: (node) =>
        node.source.type === 'Literal' && check(node, node.source.value, false),
    };
  },
};

export default { rules: { 'import-direction': importDirection, 'core-layers': coreLayers } };
