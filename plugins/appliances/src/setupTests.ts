import '@testing-library/jest-dom';
import { configure } from '@testing-library/react';

// A full test app renders in seconds, not milliseconds, on a shared machine.
configure({ asyncUtilTimeout: 10_000 });
