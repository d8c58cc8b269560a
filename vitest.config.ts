import { defineConfig } from "vitest/config";

// Two projects: unit tests beside the code run in parallel; tests under test/ start real processes
// (model services on real small models, databases, a Kubernetes control plane in test/k8sCluster.test.ts)
// and run one file at a time, because two cores cannot host several llama.cpp processes, or one beside a
// control plane, without spinning each other down. `npm run test:kube` runs the cluster file alone.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts", "scripts/**/*.test.ts", "loadtests/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/**/*.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
