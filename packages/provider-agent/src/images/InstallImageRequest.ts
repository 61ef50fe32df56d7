export interface InstallImageRequest {
  version: string;
  url: string;
  /** Hex SHA-256 of the image as published. */
  sha256: string;
  /** Detached armored signature, inline or at a URL. */
  signature?: string;
  signatureUrl?: string;
  /** Armored OpenPGP public keys trusted for this image. */
  publicKeys: string[];
  /** For an appliance: the OS image it layers on. */
  os?: string;
}
