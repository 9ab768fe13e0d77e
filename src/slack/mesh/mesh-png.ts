import { existsSync } from 'node:fs';
import { Resvg } from '@resvg/resvg-js';

/**
 * The font the picture's labels use. resvg draws no text without a font and does not read the
 * system's fontconfig unless asked; naming the file keeps the output the same on every machine
 * with fonts-dejavu-core (Debian/Ubuntu; the Dockerfile and .ci/run install it).
 */
export const MESH_FONT_FILES = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf',
];

/** SVG → PNG at the SVG's own size (1 user unit = 1 pixel). */
export function rasterizeSvg(svg: string): Buffer {
  const fontFiles = MESH_FONT_FILES.filter((f) => existsSync(f));
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'original' },
    font: {
      // Without the DejaVu files, fall back to whatever the system has rather than drawing no text.
      loadSystemFonts: fontFiles.length === 0,
      fontFiles,
      defaultFontFamily: 'DejaVu Sans',
    },
  });
  return resvg.render().asPng();
}

/** The PNG's size from its IHDR chunk (bytes 16-23), or undefined when it is not a PNG. */
export function pngSize(png: Uint8Array): { width: number; height: number } | undefined {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  if (png.length < 24 || signature.some((b, i) => png[i] !== b)) return undefined;
  if (Buffer.from(png.subarray(12, 16)).toString('latin1') !== 'IHDR') return undefined;
  const view = Buffer.from(png.subarray(16, 24));
  return { width: view.readUInt32BE(0), height: view.readUInt32BE(4) };
}
