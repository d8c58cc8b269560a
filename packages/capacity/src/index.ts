export * from "./search.js";
export * from "./sizing.js";
export * from "./types.js";
