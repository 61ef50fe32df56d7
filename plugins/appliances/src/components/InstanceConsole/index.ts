export { ConsoleButton } from './ConsoleButton';
