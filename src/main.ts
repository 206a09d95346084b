import { runtimeProblem } from './runtime.js';

/**
 * The entry point (`npm start`, `node dist/src/main.js`): the runtime is checked before anything
 * else is loaded, so an old Node.js stops with a message saying what to use, not with an error
 * from deep inside a dependency.
 */
const problem = runtimeProblem();
if (problem) {
  process.stderr.write(problem);
  process.exit(2);
}
await import('./boot.js');
