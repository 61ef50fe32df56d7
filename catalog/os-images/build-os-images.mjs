#!/usr/bin/env node
/* eslint-disable no-console */
// Builds the embedded default's OS substrate image (a small placeholder the
// simulated driver layers appliances on) and signs it with the TEST-ONLY key.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';

const here = path.dirname(fileURLToPath(import.meta.url));
const keyFile = path.join(
  here,
  '../channels/TEST-ONLY-signing-key/secret-key.TEST-ONLY.asc',
);
const image = path.join(here, 'linux-base-1.0.img');

const body = Buffer.alloc(1024 * 1024);
body.write('TEMPEST SIMULATED OS SUBSTRATE linux-base 1.0\n');
fs.writeFileSync(image, body);
const privateKey = await openpgp.readPrivateKey({
  armoredKey: fs.readFileSync(keyFile, 'utf8'),
});
const signature = await openpgp.sign({
  message: await openpgp.createMessage({ binary: body }),
  signingKeys: privateKey,
  detached: true,
});
fs.writeFileSync(`${image}.asc`, signature);
console.log(`wrote ${image} and its signature`);
