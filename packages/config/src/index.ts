export { ConfigError, EnvReader, parseDuration, type Env } from "./envReader.js";
