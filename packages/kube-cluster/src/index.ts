export { startCluster, stopRecordedCluster, type ClusterPorts, type KubeCluster, type StartClusterOptions } from "./cluster.js";
export {
  fixtureObjects,
  recycleReleasedVolumes,
  CPU_NODE,
  GPU_NODE,
  GPU_PRODUCT,
  GPU_RESOURCE,
  GPUS_PER_NODE,
  NODE_LEASE_NAMESPACE,
  NODE_LEASE_SECONDS,
  STORAGE_CLASS,
  VOLUME_COUNT,
  type Kubectl,
} from "./fixtures.js";
export { recordedDaemons } from "./daemon.js";
export { missingTools, toolPath, TOOLS_DIR } from "./tools.js";
