// The V8 flags every ciigraph process runs with (npm start, the container image, the
// benchmark's processes; test/runtime-flags.test.ts checks they all say the same).
//
// Why: a caseload's short-lived data outlives the default young generation and is promoted,
// to wait for a full collection; a larger semi-space lets it die young (bench/README.md).
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
