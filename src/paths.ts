import fs from 'node:fs';
import path from 'node:path';

/**
 * The project's root: the nearest folder above the working directory with our package.json.
 * (Not import.meta: the same code runs as ESM under tsx and as CommonJS under ts-jest.)
 */
export function projectRoot(): string {
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'callqueue') return dir;
    if (dir === path.dirname(dir)) throw new Error('run callqueue from inside its project folder');
  }
}
