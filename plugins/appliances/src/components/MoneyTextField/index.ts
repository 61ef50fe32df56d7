export { MoneyTextField } from './MoneyTextField';
