// The V8 flags every ciigraph process runs with (npm start, the container image, the
// benchmark's processes; test/runtime-flags.test.ts checks they all say the same).
//
// Why: a caseload request allocates tens of MiB that live for the ~100 ms of the request.
// With V8's default 16 MiB semi-space they outlive two scavenges, are promoted and wait for a
// mark-compact: garbage collection was 20-28 % of a subgraph process's CPU under load. A
// 32 MiB semi-space lets them die young (bench/REPORT.md, History), for up to ~64 MiB more
// young generation per process.
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
