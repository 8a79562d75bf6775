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

export default { rules: { 'import-direction': importDirection } };
