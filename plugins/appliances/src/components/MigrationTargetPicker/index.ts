export { MigrationTargetPicker } from './MigrationTargetPicker';
