import { defineConfig } from "vitest/config";

// Three projects: unit tests beside the code run in parallel; tests under test/ start real processes
// (model services on real small models, databases) and run one file at a time, because two cores
// cannot host several llama.cpp processes at once without spinning each other down. `kube` (the chart on
// a real API server) runs apart, by `npm run test:kube`, until its helm --wait flake is fixed
// (k8s/README.md, "A real API server").
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
          exclude: ["test/k8sCluster.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: "kube",
          include: ["test/k8sCluster.test.ts"],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
