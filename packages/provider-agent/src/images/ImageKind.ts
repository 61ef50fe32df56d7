export const IMAGE_KINDS = ['os', 'appliance', 'boot'] as const;
export type ImageKind = (typeof IMAGE_KINDS)[number];
