export { SignatureChip, explainSignature } from './SignatureChip';
