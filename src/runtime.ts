/**
 * The Node.js line callqueue runs on. `npm ci` installs it (the `node` package), and npm's
 * scripts run on it; an operator running `node dist/src/main.js` on an older Node gets this
 * message instead of failures deep in a dependency.
 */
export const REQUIRED_NODE_MAJOR = 26;

export function runtimeProblem(version: string = process.versions.node): string | null {
  const major = Number(version.split('.')[0]);
  if (major >= REQUIRED_NODE_MAJOR) return null;
  return `callqueue needs Node.js ${REQUIRED_NODE_MAJOR} or newer (an LTS line with security fixes); this is Node.js ${version}.\n` +
    'Run it through npm (npm start: npm ci installs Node.js ' + REQUIRED_NODE_MAJOR + ' for the project), or install Node.js ' +
    `${REQUIRED_NODE_MAJOR} LTS and run node dist/src/main.js with it.\n`;
}
