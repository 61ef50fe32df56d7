export { CatalogEntityPicker, entityTitle } from './CatalogEntityPicker';
export type { CatalogEntityPickerOptions } from './CatalogEntityPicker';
