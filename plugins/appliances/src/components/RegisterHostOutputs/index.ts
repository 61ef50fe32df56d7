export { RegisterHostOutputs } from './RegisterHostOutputs';
