#!/usr/bin/env node
// Rebuilds the sample channel's images and detached signatures from the
// definitions in sample/*.xml, signing with the TEST-ONLY key pair in
// TEST-ONLY-signing-key/ (created on first run). Run from the repo root:
//   node catalog/channels/build-sample.mjs
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';

const here = path.dirname(fileURLToPath(import.meta.url));
const keyDir = path.join(here, 'TEST-ONLY-signing-key');
const channelDir = path.join(here, 'sample');

async function keyPair() {
  const secretPath = path.join(keyDir, 'secret-key.TEST-ONLY.asc');
  if (!fs.existsSync(secretPath)) {
    const { privateKey, publicKey } = await openpgp.generateKey({
      type: 'ecc',
      curve: 'ed25519Legacy',
      userIDs: [
        {
          name: 'Tempest sample channel (TEST ONLY - never trust in production)',
          email: 'test-only@tempest.invalid',
        },
      ],
      format: 'armored',
    });
    fs.writeFileSync(secretPath, privateKey);
    fs.writeFileSync(path.join(keyDir, 'public-key.TEST-ONLY.asc'), publicKey);
  }
  return openpgp.readPrivateKey({
    armoredKey: fs.readFileSync(secretPath, 'utf8'),
  });
}

/** A tiny real image: a tarball of the service's configuration skeleton. */
function buildImage(name, files) {
  const work = fs.mkdtempSync(
    path.join(fs.realpathSync('/tmp'), 'tempest-image-'),
  );
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.join(work, path.dirname(file)), { recursive: true });
    fs.writeFileSync(path.join(work, file), content);
  }
  const out = path.join(channelDir, `${name}.tgz`);
  execFileSync('tar', [
    '--sort=name',
    '--mtime=2026-01-01',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '-C',
    work,
    '-cf',
    `${out}.tar`,
    '.',
  ]);
  execFileSync('gzip', ['-n', '-9', '-f', `${out}.tar`]);
  fs.renameSync(`${out}.tar.gz`, out);
  fs.rmSync(work, { recursive: true });
  return out;
}

const IMAGES = JSON.parse(
  fs.readFileSync(path.join(here, 'sample-images.json'), 'utf8'),
);

const key = await keyPair();
for (const [name, files] of Object.entries(IMAGES)) {
  const image = buildImage(name, files);
  const message = await openpgp.createMessage({
    binary: new Uint8Array(fs.readFileSync(image)),
  });
  const signature = await openpgp.sign({
    message,
    signingKeys: key,
    detached: true,
    format: 'armored',
  });
  fs.writeFileSync(`${image}.asc`, signature);
  console.log(`signed ${path.relative(process.cwd(), image)}`);
}
