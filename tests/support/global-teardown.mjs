import fs from 'node:fs';

export default async function globalTeardown() {
  const state = globalThis.__CALLQUEUE_CLUSTER__;
  if (!state) return;
  await state.cluster.stop();
  fs.rmSync(state.dir, { recursive: true, force: true });
}
