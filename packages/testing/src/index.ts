export { startFakeModelServer, type FakeModelServer, type FakeModelServerOptions, type FakeFailure } from "./fakeModelServer.js";
export { parseCsvRecords, parseCsvRows } from "./csv.js";
