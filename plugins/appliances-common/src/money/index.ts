export * from './formatMoney';
export * from './currency';
