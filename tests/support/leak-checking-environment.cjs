// A node test environment that fails a test file which leaves a server, a socket or a timer
// behind (a leaked pool keeps sockets; a leaked job keeps a timer). Compared with what the
// worker process held when the file started.
const { TestEnvironment } = require('jest-environment-node');

const WATCHED = ['TCPServerWrap', 'TCPSocketWrap', 'Timeout', 'PipeServerWrap'];

function snapshot() {
  const counts = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (WATCHED.includes(type)) counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

class LeakCheckingEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.before = snapshot();
  }

  async teardown() {
    // Sockets finish closing on the next turns of the event loop.
    let leaked = [];
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const after = snapshot();
      leaked = WATCHED.filter((t) => (after[t] ?? 0) > (this.before[t] ?? 0))
        .map((t) => `${t} ×${(after[t] ?? 0) - (this.before[t] ?? 0)}`);
      if (leaked.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await super.teardown();
    if (leaked.length > 0) {
      throw new Error(`the test file leaked ${leaked.join(', ')}: close every server, pool and timer it opens`);
    }
  }
}

module.exports = LeakCheckingEnvironment;
