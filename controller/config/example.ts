import { configSchema } from './schema.js';
import { envName } from './load.js';

type Node = {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: readonly unknown[];
  properties?: Record<string, Node>;
  items?: Node;
};

function scalar(v: unknown): string {
  if (typeof v === 'string')
    return v === '' || /[:#\s{}[\],&*?|<>=!%@`'"]/.test(v) || /^\d/.test(v) ? JSON.stringify(v) : v;
  return JSON.stringify(v);
}

function render(node: Node, keyPath: string[], indent: string, out: string[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const p = [...keyPath, key];
    const choices = child.enum ? ` One of: ${child.enum.map((e) => String(e)).join(', ')}.` : '';
    if (child.description) out.push(`${indent}# ${child.description}${choices}`);
    if (child.type === 'object' && child.properties) {
      out.push(`${indent}${key}:`);
      render(child, p, indent + '  ', out);
    } else {
      out.push(`${indent}#   (env ${envName(p)})`);
      out.push(
        `${indent}${key}: ${child.type === 'array' ? JSON.stringify(child.default ?? []) : scalar(child.default)}`,
      );
    }
  }
}

/** A complete, commented configuration file holding every default. */
export function renderExampleConfig(): string {
  const out = [
    '# jpki-locker configuration. Every key is optional; shown here with its default.',
    '# Check a file with: jpki-locker config check --config FILE',
    '# Any key can be overridden from the environment (names shown beside each key).',
    '',
  ];
  render(configSchema as unknown as Node, [], '', out);
  return out.join('\n') + '\n';
}
