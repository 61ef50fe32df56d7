/** Colour bars, left to right, over the top three quarters of the simulated display. */
export const TEST_PATTERN_BARS: ReadonlyArray<[number, number, number]> = [
  [255, 255, 255],
  [255, 255, 0],
  [0, 255, 255],
  [0, 255, 0],
  [255, 0, 255],
  [255, 0, 0],
  [0, 0, 255],
  [0, 0, 0],
];
/** Tempest blue, the band under the bars. */
export const TEST_PATTERN_BAND: [number, number, number] = [31, 84, 147];

/** The colour of one pixel of the simulated display: recognisable in a screenshot and checkable by a test. */
export function testPatternColourAt(
  x: number,
  y: number,
  width: number,
  height: number,
): [number, number, number] {
  if (y >= Math.floor((height * 3) / 4)) return TEST_PATTERN_BAND;
  const bar = Math.floor((x * TEST_PATTERN_BARS.length) / width);
  return TEST_PATTERN_BARS[Math.min(bar, TEST_PATTERN_BARS.length - 1)];
}
