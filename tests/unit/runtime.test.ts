import { REQUIRED_NODE_MAJOR, runtimeProblem } from '../../src/runtime.js';

it('refuses an older Node.js with a message saying what to use, and accepts this one', () => {
  expect(runtimeProblem('20.20.2')).toMatch(new RegExp(`needs Node.js ${REQUIRED_NODE_MAJOR} or newer.*this is Node.js 20.20.2`, 's'));
  expect(runtimeProblem('20.20.2')).toMatch(/npm start|dist\/src\/main\.js/);
  expect(runtimeProblem(`${REQUIRED_NODE_MAJOR}.0.0`)).toBeNull();
  expect(runtimeProblem(process.versions.node)).toBeNull();
});
