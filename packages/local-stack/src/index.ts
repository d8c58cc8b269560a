export { freePort, portInUse } from "./freePort.js";
export { ManagedProcess, unlessExited, REPO_ROOT, type ExitStatus } from "./managedProcess.js";
export { startModelService, type ModelServiceOptions, type ModelServiceProcess, type ModelServiceName } from "./modelServiceProcess.js";
