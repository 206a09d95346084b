import fs from 'node:fs';
import path from 'node:path';

/** The layout rules the README states (Architecture), checked on the source tree. */
const SRC = path.resolve(__dirname, '../../src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? files(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []);
}

it('no two folders of src/modules import each other', () => {
  const modules = path.join(SRC, 'modules');
  const edges = new Set<string>();
  for (const folder of fs.readdirSync(modules, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    for (const file of files(path.join(modules, folder.name))) {
      for (const [, target] of fs.readFileSync(file, 'utf8').matchAll(/from '\.\.\/([a-z-]+)\//g)) {
        if (target !== folder.name) edges.add(`${folder.name} -> ${target}`);
      }
    }
  }
  const both = [...edges].filter((e) => edges.has(e.split(' -> ').reverse().join(' -> ')));
  expect(edges.size).toBeGreaterThan(5);
  expect(both).toEqual([]);
});

it('every SQL statement of src/ is in a *.sql.ts file, named inside its text', () => {
  const outside: string[] = [];
  const unnamed: string[] = [];
  for (const file of files(SRC)) {
    const text = fs.readFileSync(file, 'utf8');
    const rel = path.relative(SRC, file);
    const statements = [...text.matchAll(/(?:queryRows|queryOne)(?:<[^(]*>)?\(\s*[\w.]+,\s*(?:lock\s*\?\s*)?sql`\s*/g)];
    if (!file.endsWith('.sql.ts') && rel !== path.join('db', 'sql.ts') && /\bsql`/.test(text)) outside.push(rel);
    for (const m of statements) {
      const head = text.slice(m.index! + m[0].length, m.index! + m[0].length + 3);
      if (!head.startsWith('/*')) unnamed.push(`${rel}:${text.slice(0, m.index).split('\n').length}`);
    }
  }
  expect(outside).toEqual([]);
  expect(unnamed).toEqual([]);
});
