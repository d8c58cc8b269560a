export {
  Catalog,
  CatalogError,
  CATALOG_FILE,
  loadCatalog,
  parseCatalog,
  profileSource,
  defaultModelCacheDir,
  type ProfileSource,
} from "./catalog.js";
export {
  MODEL_NAME,
  type CatalogModel,
  type CatalogProfile,
  type PypiSource,
  type HubPart,
  type SamplingDefaults,
} from "./catalogSchema.js";
export { ensurePackagedModel, type PackagedModelOptions } from "./packagedModels.js";
export { sha256File } from "./fileHash.js";
