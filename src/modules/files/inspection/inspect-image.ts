import sharp, { type Metadata } from 'sharp';
import { type Inspection, refuse, UNREADABLE } from './file-inspection';

/** OpenAI's high-detail scaling: fit in 2048×2048, then the shorter side at most 768. */
const MAX_SIDE = 2048;
const MAX_SHORT_SIDE = 768;
const JPEG_QUALITY = 85;

// One libvips thread per worker, no cache: the pool's threads bound the work, and memory is
// not kept between files.
sharp.concurrency(1);
sharp.cache(false);

/** Tokens of an image for OpenAI's high detail: 85 plus 170 a 512-pixel tile. */
export function imageTokens(width: number, height: number): number {
  return 85 + 170 * Math.ceil(width / 512) * Math.ceil(height / 512);
}

/** The size of the model's copy of an image of this size (never larger than the image). */
export function modelSize(width: number, height: number): { width: number; height: number } {
  const fit = Math.min(1, MAX_SIDE / width, MAX_SIDE / height);
  const shorter = Math.min(width, height) * fit;
  const scale = fit * Math.min(1, MAX_SHORT_SIDE / shorter);
  return {
    width: Math.max(1, Math.round(width * scale)),
    height: Math.max(1, Math.round(height * scale)),
  };
}

/**
 * PNG, JPEG, WebP or GIF. The size is read from the header first, so an image of too many
 * pixels is refused without being decoded; sharp's own pixel limit stands behind it. Only the
 * first frame of an animation is read.
 */
export async function inspectImage(
  bytes: Buffer,
  contentType: string,
  maxPixels: number,
): Promise<Inspection> {
  let metadata: Metadata;
  try {
    // The header only (nothing decoded), with no pixel limit so that the size is known even
    // when too large: the refusal then says so.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch {
    return UNREADABLE;
  }
  const { width, height } = metadata;
  if (!width || !height) return UNREADABLE;
  if (width * height > maxPixels) return refuse(422, 'issue.file_image_too_large');
  // EXIF orientations 5 to 8 turn the image a quarter: the copy is upright.
  const turned = (metadata.orientation ?? 1) >= 5;
  const upright = turned ? { width: height, height: width } : { width, height };
  const size = modelSize(upright.width, upright.height);
  const asPng = metadata.hasAlpha || contentType === 'image/gif';
  let model: Buffer;
  try {
    const options = { limitInputPixels: maxPixels, failOn: 'error' as const };
    const pipeline = sharp(bytes, options).rotate().resize(size.width, size.height, {
      fit: 'fill',
    });
    model = await (asPng ? pipeline.png() : pipeline.jpeg({ quality: JPEG_QUALITY })).toBuffer();
  } catch (error) {
    return isPixelLimitError(error) ? refuse(422, 'issue.file_image_too_large') : UNREADABLE;
  }
  return {
    ok: true,
    kind: 'image',
    contentType,
    text: null,
    tokenCount: imageTokens(size.width, size.height),
    pageCount: null,
    image: {
      width: upright.width,
      height: upright.height,
      model,
      modelContentType: asPng ? 'image/png' : 'image/jpeg',
    },
  };
}

function isPixelLimitError(error: unknown): boolean {
  return error instanceof Error && /pixel limit/i.test(error.message);
}
