/* tadm — extreme-ratio image codec. Public C API.
 *
 * Conventions (as in libavif / dav1d / libjxl):
 *  - opaque handles, created and destroyed in pairs;
 *  - settings structs are filled by tadm_*_default_settings() before use; they carry
 *    `struct_size` and reserved room so fields can be added without breaking the ABI. A caller
 *    built against an older tadm.h passes its smaller struct: any struct_size from the end of
 *    `common` (offsetof(S, common) + sizeof(tadm_common_settings): every release has struct_size
 *    and the common settings) up to sizeof is accepted, and the fields past struct_size keep
 *    their defaults; a larger one (a newer header than the library) is refused with
 *    TADM_ERROR_INVALID_ARGUMENT. Enum fields holding values outside their enum are refused the
 *    same way;
 *  - every call that can fail returns a tadm_status, and tadm_status_string() names it (calls
 *    that cannot fail return nothing or the value asked for: the *_free / *_destroy functions,
 *    the *_default_settings functions, accessors and version queries);
 *  - what went wrong, in words a user can act on, has one channel per kind of call: a handle's
 *    calls (tadm_encoder_*, tadm_decoder_*) leave it in the handle's diagnostics
 *    (tadm_encoder_last_error, tadm_decoder_last_error), cleared at the start of every call on
 *    that handle and empty after a success, as libavif's avifDiagnostics; every call without a
 *    handle takes an `error` buffer (may be NULL) that receives the message, or the empty string
 *    on success (a few fill it with a warning on success, and say so);
 *  - the status of every call that can fail is marked TADM_NODISCARD: ignoring it is a bug;
 *  - buffers returned by the library are freed with the matching tadm_*_free() call.
 *
 * Threads: functions without a handle (tadm_image_*, tadm_file_info_read, tadm_list_models, ...)
 * may be called from any number of threads at once. A handle (tadm_encoder, tadm_decoder) may be
 * used by one thread at a time: it keeps its last error and statistics; use one handle per
 * thread. Handles share loaded models: a learned bundle is loaded once per process and device
 * (its identity: name, version and manifest SHA-256) and used by every handle that asks for it,
 * concurrently, until the last of them is destroyed (the log callback of the handle that loads it
 * gets an INFO line "model NAME VERSION loaded from DIR"). Handles may be created, used and
 * destroyed on different threads.
 *
 * Container errors (spec/container.md section 7.3) map to statuses: `unsupported_version` and
 * `unknown_critical` -> TADM_ERROR_UNSUPPORTED, `limit_exceeded` -> TADM_ERROR_LIMIT, every
 * other error -> TADM_ERROR_CORRUPT.
 */
#ifndef TADM_TADM_H
#define TADM_TADM_H

#include <stddef.h>
#include <stdint.h>

#include "tadm/version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TADM_API __attribute__((visibility("default")))
#else
#define TADM_API
#endif

/* A status that must be looked at. C++17 callers may discard one explicitly with a (void) cast. */
#if defined(__cplusplus) && __cplusplus >= 201703L
#define TADM_NODISCARD [[nodiscard]]
#elif defined(__GNUC__)
#define TADM_NODISCARD __attribute__((warn_unused_result))
#else
#define TADM_NODISCARD
#endif

typedef enum tadm_status {
  TADM_OK = 0,
  TADM_ERROR_INVALID_ARGUMENT = 1, /* a NULL pointer, an out-of-range setting */
  TADM_ERROR_IO = 2,               /* a file could not be read or written */
  TADM_ERROR_CORRUPT = 3,          /* the input is damaged or is not what it claims */
  TADM_ERROR_UNSUPPORTED = 4,      /* valid, but uses something this build cannot do */
  TADM_ERROR_LIMIT = 5,            /* the input exceeds a configured limit */
  TADM_ERROR_MODEL = 6,            /* a model bundle is missing, unreadable or invalid */
  TADM_ERROR_MODEL_MISMATCH = 7,   /* the file was made with another model bundle */
  TADM_ERROR_OUT_OF_MEMORY = 8,
  TADM_ERROR_CANCELLED = 9,        /* the progress callback asked to stop */
  TADM_ERROR_INTERNAL = 10
} tadm_status;

TADM_API const char* tadm_status_string(tadm_status status);
TADM_API const char* tadm_version_string(void);  /* "1.0.0" */
TADM_API int tadm_version_int(void);             /* TADM_VERSION of the library that runs */
/* What the default model optimises (the encoder's `profile` setting, tadmenc --profile). */
typedef enum tadm_profile {
  TADM_PROFILE_FIDELITY = 0,   /* the pixel models (pix16, pix32): highest PSNR, fastest decode */
  TADM_PROFILE_PERCEPTUAL = 1  /* the latent models (tadm16, tadm32): TAEF2's decoder renders texture
                                  where the fidelity models blur; slower to decode */
} tadm_profile;

/* The model used when none is named (tadmenc, the encoder, the FFmpeg filter): the learned
 * bundle for the scale ("pix16" for 0 = default or 16, "pix32" for 32), the any-scale "any32" for
 * every other scale 2..32 (unequal scales too, when both axes are within 2..32), "classic" for
 * scales above 32. A static string; whether the bundle is installed is not checked. */
TADM_API const char* tadm_default_model(uint32_t scale);
/* The same for a profile: fidelity as above; perceptual "tadm16" / "tadm32" (0 = 16), "any32" for
 * other scales up to 32, "classic" above. NULL for a profile outside the enum. */
TADM_API const char* tadm_default_model_for(uint32_t scale, tadm_profile profile);

typedef enum tadm_device {
  TADM_DEVICE_AUTO = 0, /* CUDA when this build has it and a GPU is present, else CPU */
  TADM_DEVICE_CPU = 1,
  TADM_DEVICE_CUDA = 2  /* an error if this build or machine has no CUDA */
} tadm_device;

/* Arithmetic of a learned decoder's convolutions (the bicubic skip and the output stay float32). */
typedef enum tadm_precision {
  TADM_PRECISION_AUTO = 0, /* bfloat16 where the CPU computes it natively (AVX512-BF16), else float32;
                               float32 for any-scale bundles (bf16 costs them about 0.25 dB) */
  TADM_PRECISION_FP32 = 1,
  TADM_PRECISION_BF16 = 2  /* also where it is emulated (slower than float32 there) */
} tadm_precision;

typedef enum tadm_log_level {
  TADM_LOG_ERROR = 0,
  TADM_LOG_WARNING = 1,
  TADM_LOG_INFO = 2,
  TADM_LOG_DEBUG = 3
} tadm_log_level;

/* Progress: `fraction` in [0, 1], `stage` a short phrase ("downscaling", "upscaling", ...).
 * Return non-zero to cancel (the call then returns TADM_ERROR_CANCELLED). */
typedef int (*tadm_progress_fn)(void* user, float fraction, const char* stage);
typedef void (*tadm_log_fn)(void* user, tadm_log_level level, const char* message);

/* Limits that bound memory. Checked before any allocation that depends on input content.
 * Zero means "use the default".
 *
 * The memory budget bounds the data one read, encode or decode holds at once (image buffers,
 * float planes, model tiles and activations), estimated from header fields before anything is
 * allocated: a call that would need more fails with TADM_ERROR_LIMIT naming the estimate; a
 * learned model's tiles shrink first so that large legitimate photos still fit. Code, LibTorch
 * itself and model weights are not counted. */
/* The defaults of the C API and the tools (the one set of them). They are tighter than the
 * container library's own reader limits (spec/container.md section 8), as any reader's may be. */
#define TADM_DEFAULT_MAX_PIXELS (1ull << 28)        /* 268 MP */
#define TADM_DEFAULT_MAX_DIMENSION 65535u
#define TADM_DEFAULT_MAX_METADATA_BYTES (16u << 20) /* 16 MiB */
#define TADM_DEFAULT_MAX_TILE_PIXELS (2048u * 2048u)
#define TADM_DEFAULT_MAX_MEMORY_MIB 2048u           /* 2 GiB */

typedef struct tadm_limits {
  uint64_t max_pixels;         /* width * height of the full image; 0 = TADM_DEFAULT_MAX_PIXELS */
  uint32_t max_dimension;      /* width or height; 0 = TADM_DEFAULT_MAX_DIMENSION */
  uint32_t max_metadata_bytes; /* each of ICC / EXIF / XMP; 0 = TADM_DEFAULT_MAX_METADATA_BYTES */
  uint32_t max_tile_pixels;    /* model tile with its margins, in full-resolution pixels;
                                  0 = TADM_DEFAULT_MAX_TILE_PIXELS */
  uint32_t max_memory_mib;     /* the memory budget in MiB; 0 = TADM_DEFAULT_MAX_MEMORY_MIB */
  int allow_corrupt;           /* non-zero: accept PNG/JPEG input that libpng/libjpeg can decode but
                                  report as damaged (the message is then a warning); default 0:
                                  such input fails with TADM_ERROR_CORRUPT */
  uint32_t reserved[6];
} tadm_limits;

/* ---------------------------------------------------------------- images */

/* An 8- or 16-bit interleaved image. `channels`: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
 * 16-bit samples are native-endian uint16_t. Metadata blobs are copied as they are. */
typedef struct tadm_image {
  uint32_t width;
  uint32_t height;
  uint32_t channels;
  uint32_t bit_depth;   /* 8 or 16 */
  size_t row_bytes;     /* >= width * channels * bit_depth / 8 */
  uint8_t* pixels;
  uint8_t* icc;         /* ICC profile, or NULL */
  size_t icc_size;
  uint8_t* exif;        /* EXIF payload from the TIFF header on, or NULL */
  size_t exif_size;
  uint8_t* xmp;         /* XMP packet, or NULL */
  size_t xmp_size;
  int has_cicp;         /* CICP colour description (from a PNG cICP chunk) */
  uint8_t cicp[4];      /* primaries, transfer, matrix, full-range flag */
  uint32_t reserved[8];
} tadm_image;

/* Allocate an image with zeroed pixels (no metadata). TADM_ERROR_INVALID_ARGUMENT: `out` is
 * NULL, width or height is 0, channels is not 1..4 or bit_depth not 8 or 16; TADM_ERROR_LIMIT:
 * over the default limits (TADM_DEFAULT_MAX_DIMENSION, TADM_DEFAULT_MAX_PIXELS,
 * TADM_DEFAULT_MAX_MEMORY_MIB); TADM_ERROR_OUT_OF_MEMORY. */
TADM_NODISCARD TADM_API tadm_status tadm_image_create(uint32_t width, uint32_t height, uint32_t channels,
                                                      uint32_t bit_depth, tadm_image** out, char* error,
                                                      size_t error_size);
TADM_API void tadm_image_free(tadm_image* image);
/* Replace a metadata blob (copies; size 0 or NULL clears). which: "icc", "exif" or "xmp"; an
 * EXIF payload must start with its TIFF header ("II*\0" or "MM\0*"), else INVALID_ARGUMENT.
 * TADM_ERROR_INVALID_ARGUMENT also for a NULL image or `which`, another name, or data NULL with
 * a size; TADM_ERROR_OUT_OF_MEMORY. */
TADM_NODISCARD TADM_API tadm_status tadm_image_set_metadata(tadm_image* image, const char* which,
                                                            const uint8_t* data, size_t size, char* error,
                                                            size_t error_size);

/* Read a PNG (1-16 bit, any colour type), JPEG (8-bit gray/RGB/CMYK), still WebP or binary
 * netpbm image (PGM P5, PPM P6, PAM P7 with 1-4 channels; any maxval), chosen by content, with
 * the ICC profile, EXIF and XMP of PNG and JPEG (WebP's are not read; netpbm has none). Limits may be NULL for the defaults. A file must be a
 * regular file no larger than the memory budget.
 * On failure `*out` is NULL and, if `error` is not NULL, a message is written there. On success
 * `error` holds the empty string, or, with `limits->allow_corrupt`, the damage libpng/libjpeg
 * reported (a warning to show the user). */
TADM_NODISCARD TADM_API tadm_status tadm_image_read_file(const char* path, const tadm_limits* limits,
                                          tadm_image** out, char* error, size_t error_size);
TADM_NODISCARD TADM_API tadm_status tadm_image_read_memory(const uint8_t* data, size_t size,
                                            const tadm_limits* limits, tadm_image** out,
                                            char* error, size_t error_size);
/* Encode as PNG (keeps channels and bit depth; writes iCCP, eXIf, iTXt XMP and cICP).
 * tadm_image_write_png, tadm_image_write and tadm_image_resize check the image against the
 * default limits (TADM_DEFAULT_*: size, each metadata blob, memory budget) before they copy it;
 * over them, TADM_ERROR_LIMIT. */
TADM_NODISCARD TADM_API tadm_status tadm_image_write_png(const tadm_image* image, uint8_t** data, size_t* size,
                                          char* error, size_t error_size);

/* Output formats of tadm_image_write. */
typedef enum tadm_image_format {
  TADM_IMAGE_PNG = 0,  /* 8/16-bit, all channels, with ICC / EXIF / XMP / cICP (as tadm_image_write_png) */
  TADM_IMAGE_JPEG = 1, /* 8-bit gray or RGB (16 bits reduced, alpha left out); no metadata */
  TADM_IMAGE_WEBP = 2, /* 8-bit RGB or RGBA (16 bits reduced), at most 16383 pixels per side; no metadata */
  TADM_IMAGE_PAM = 3,  /* netpbm P7: all channels, maxval 255 or 65535 (16-bit, big-endian); no metadata */
  TADM_IMAGE_PPM = 4   /* netpbm P6: RGB (gray repeated, alpha left out), maxval 255 or 65535; no metadata */
} tadm_image_format;

/* Encode an image in `format`. `quality` 1..100 for JPEG and WebP (0 = 90); ignored by the
 * lossless formats but must still be 0..100. An unknown format is TADM_ERROR_INVALID_ARGUMENT.
 * On success `error` holds the empty string, or what the format could not keep (alpha, 16 bits,
 * metadata): a warning to show the user. Free `*data` with tadm_buffer_free. */
TADM_NODISCARD TADM_API tadm_status tadm_image_write(const tadm_image* image, tadm_image_format format, int quality,
                                      uint8_t** data, size_t* size, char* error, size_t error_size);

/* Resample an image to width x height with the classic antialiased bicubic filter (the one
 * tadmenc's classic model downscales with), keeping channels, bit depth and metadata. */
TADM_NODISCARD TADM_API tadm_status tadm_image_resize(const tadm_image* image, uint32_t width, uint32_t height,
                                       tadm_image** out, char* error, size_t error_size);

/* Free any buffer the library returned. */
TADM_API void tadm_buffer_free(uint8_t* data);

/* ---------------------------------------------------------------- common settings */

/* The settings every handle has, the same for encoders and decoders
 * (tadm_encoder_settings.common, tadm_decoder_settings.common). */
typedef struct tadm_common_settings {
  const char* model;         /* "classic", a bundle name ("pix16") or a bundle directory path.
                                NULL: the encoder takes the default learned bundle for its
                                `scale` (else classic), the decoder the bundle named in the file */
  const char* model_dir;     /* where bundle names are looked up; NULL = built-in search path */
  int threads;               /* 0 = all cores */
  tadm_device device;        /* default TADM_DEVICE_AUTO */
  tadm_limits limits;        /* zero fields = the defaults (TADM_DEFAULT_*) */
  tadm_progress_fn progress; /* NULL = no progress reports */
  tadm_log_fn log;           /* NULL = no log */
  void* user;                /* passed to progress and log */
  uint32_t reserved[8];      /* room for shared fields: the struct sits inside both settings */
} tadm_common_settings;

/* The defaults of the common settings: all zeros and NULL, device TADM_DEVICE_AUTO.
 * tadm_encoder_default_settings and tadm_decoder_default_settings fill `common` with it. */
TADM_API void tadm_common_default_settings(tadm_common_settings* settings);

/* ---------------------------------------------------------------- encoder */

/* The file the encoder writes (spec/container.md, spec/heif-avif.md). HEIF and AVIF hold the
 * thumbnail as their primary image (lossless YCbCr 4:4:4, identity matrix, full range) and the
 * TADM fields as a metadata item, so any HEIF/AVIF viewer shows the thumbnail. Readers
 * (decoder, tadm_file_info_read, tadm_extract_thumbnail) accept all three, chosen by content. */
typedef enum tadm_container_format {
  TADM_CONTAINER_TADM = 0,
  TADM_CONTAINER_HEIF = 1,
  TADM_CONTAINER_AVIF = 2
} tadm_container_format;

/* How the thumbnail is coded inside the file (spec/container.md, HEAD lr_codec). PNG is the
 * default and the mission's format; the others are smaller: lossless JPEG XL / WebP at identical
 * pixels, or lossy at a smaller scale, restored by a model trained on that codec's output. */
typedef enum tadm_lr_codec {
  TADM_LR_PNG = 0,
  TADM_LR_JPEG = 1,
  TADM_LR_WEBP = 2,
  TADM_LR_JXL = 3,
  TADM_LR_AVIF = 4,
  TADM_LR_ANY = 254, /* with a byte target and no scale or model given: the rate control may
                        choose any codec, lossy thumbnails included (see target_bytes); otherwise
                        as TADM_LR_AUTO */
  TADM_LR_AUTO = 255 /* the codec the model was trained for (PNG for classic and pixel models) */
} tadm_lr_codec;

typedef struct tadm_encoder_settings {
  uint32_t struct_size;    /* sizeof(tadm_encoder_settings); set by the default function */
  tadm_common_settings common; /* model (NULL = the default learned bundle for `scale`, else
                              classic), model_dir, threads, device, limits, callbacks */
  uint32_t scale;          /* 2..64, horizontal, and vertical too unless scale_y is set; 0 = the
                              model's own scale (default 16) */
  int png_effort;          /* 0..3: LR PNG compression effort (3 tries more filters); default 2 */
  tadm_container_format container; /* default TADM_CONTAINER_TADM */
  int refine_iterations;   /* learned models only, 0..1000: after the encoder, adjust the 8-bit
                              thumbnail for this many gradient steps through the model's own
                              decoder so the decoded photo is closer to the original (each step
                              costs about three decodes; 30 is a good value); 0 = off (default);
                              ignored for classic and grayscale originals */
  tadm_lr_codec lr_codec;  /* default TADM_LR_AUTO */
  int lr_quality;          /* lossy thumbnail quality 1..100; 0 = the model's default (the top of
                              the quality range it was trained for; 90 for classic) */
  int lr_lossless;         /* non-zero: lossless WebP / JPEG XL / AVIF thumbnail (PNG always is) */
  uint32_t target_bytes;   /* non-zero: the largest file wanted; no file above it is ever returned.
                              With neither `scale` nor `common.model` set, the encoder chooses the
                              operating point per image (rate control): among classic at every
                              scale 2..64 and the installed bundles of `profile` that carry
                              rate-control data (spec/model-bundle.md) and a thumbnail codec
                              `lr_codec` allows (AUTO/PNG: PNG thumbnails; ANY: lossy-thumbnail
                              models too; a lossy codec: only models trained for it), the one
                              predicted to restore best whose file fits. Candidates are encoded, never
                              decoded. With a scale or model given, that operating point stays and a
                              lossy thumbnail's quality is lowered until the file fits. Either way,
                              when nothing fits the encode fails with TADM_ERROR_LIMIT naming the
                              smallest size reachable. tadm_encoder_model_name, _scale, _lr_codec,
                              _lr_quality then describe the point chosen for the last image */
  uint32_t scale_y;        /* 2..64: the vertical scale when it differs from `scale` (which must then
                              be set); 0 = the same as `scale`. Per-scale bundles serve only their
                              own square scale; the any-scale bundle (any32, the default for them)
                              every scale 2..32 on each axis; classic every one up to 64
                              (spec/container.md section 5) */
  tadm_profile profile;    /* which family `common.model` = NULL picks: TADM_PROFILE_FIDELITY
                              (default) or TADM_PROFILE_PERCEPTUAL (see tadm_default_model_for) */
  int target_effort;       /* with the rate control (target_bytes, no scale, no model): 0 (default)
                              ranks the candidates that fit by their rate-control data: in the
                              fidelity profile, when every candidate has gains, by the PSNR of the
                              bicubic upscale of its thumbnail on this image plus the model's mean
                              gain over it (no model decodes), else by the mean equivalent scale;
                              1 decodes each model's best point that fits with the model and keeps
                              the one that restores this image with the highest PSNR (fidelity
                              profile; slower by one model decode per candidate) */
  uint8_t reserved[32];    /* room for new fields */
} tadm_encoder_settings;

typedef struct tadm_encoder tadm_encoder;

TADM_API void tadm_encoder_default_settings(tadm_encoder_settings* settings);
/* Loads and verifies the model. On failure *out is NULL; `error` receives the message. */
TADM_NODISCARD TADM_API tadm_status tadm_encoder_create(const tadm_encoder_settings* settings, tadm_encoder** out,
                                         char* error, size_t error_size);
TADM_API void tadm_encoder_destroy(tadm_encoder* encoder);
/* Encode an image into .tadm (or HEIF / AVIF, see `container`) bytes (free with tadm_buffer_free). ICC, EXIF, XMP and CICP of
 * the image are stored untouched. */
TADM_NODISCARD TADM_API tadm_status tadm_encoder_encode(tadm_encoder* encoder, const tadm_image* image,
                                         uint8_t** data, size_t* size);
TADM_API const char* tadm_encoder_last_error(const tadm_encoder* encoder);
/* The model actually used: name, version and the bundle SHA-256 in hex. */
TADM_API const char* tadm_encoder_model_name(const tadm_encoder* encoder);
/* The horizontal and vertical scale in use. */
TADM_API uint32_t tadm_encoder_scale(const tadm_encoder* encoder);
TADM_API uint32_t tadm_encoder_scale_y(const tadm_encoder* encoder);
/* The thumbnail codec in use (never TADM_LR_AUTO), and the quality of the last encoded
 * thumbnail (0 before the first encode; for lossless thumbnails the setting, unused). */
TADM_API tadm_lr_codec tadm_encoder_lr_codec(const tadm_encoder* encoder);
TADM_API int tadm_encoder_lr_quality(const tadm_encoder* encoder);

/* ---------------------------------------------------------------- decoder */

typedef enum tadm_upscaler {
  TADM_UPSCALER_BICUBIC = 0, /* the upscaler of classic files, and of the alpha plane of learned ones */
  TADM_UPSCALER_LANCZOS = 1
} tadm_upscaler;

typedef struct tadm_decoder_settings {
  uint32_t struct_size;     /* sizeof(tadm_decoder_settings); set by the default function */
  tadm_common_settings common; /* model (NULL = the bundle named in the file), model_dir, threads,
                               device, limits, callbacks */
  int force_model;          /* decode even if the bundle's SHA-256 differs from the file's */
  tadm_upscaler classic_upscaler; /* default TADM_UPSCALER_BICUBIC */
  int output_bit_depth;     /* 0 = the original's (8 or 16), else 8 or 16 */
  tadm_precision precision; /* learned models only; classic decoding is unaffected */
  int skip_enhancer;        /* latent models with an enhancer (tadm16): non-zero decodes without it,
                               blurrier and a little faster (the enhancer is about 6 % of a decode:
                               TAEF2's decoder dominates); tadmdec --no-enhance; default 0 */
  uint8_t reserved[56];     /* room for new fields */
} tadm_decoder_settings;

typedef struct tadm_decoder tadm_decoder;

TADM_API void tadm_decoder_default_settings(tadm_decoder_settings* settings);
TADM_NODISCARD TADM_API tadm_status tadm_decoder_create(const tadm_decoder_settings* settings, tadm_decoder** out,
                                         char* error, size_t error_size);
TADM_API void tadm_decoder_destroy(tadm_decoder* decoder);
/* Decode .tadm, TADM-HEIF or TADM-AVIF bytes (chosen by content) to the full-resolution image (the original's size, channel layout and,
 * by default, bit depth), with its metadata. */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_decode(tadm_decoder* decoder, const uint8_t* data, size_t size,
                                         tadm_image** out);
/* Upscale an already-decoded LR image (for filters that hold thumbnails, not files). The model
 * is the decoder's `common.model` setting; the output is LR size times the model's scale. */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_upscale(tadm_decoder* decoder, const tadm_image* lr,
                                          uint32_t scale, tadm_image** out);
TADM_API const char* tadm_decoder_last_error(const tadm_decoder* decoder);

/* The parse step, as avifDecoderParse: read and validate a whole file (the container's checks,
 * the limits) and keep it in the decoder, without decoding the thumbnail or loading a model.
 * `*info` (header, model identity, ICC / EXIF / XMP bytes, hint grid and values) is owned by the
 * decoder and valid until its next parse or its destruction. Then
 * tadm_decoder_thumbnail, tadm_decoder_decode_parsed or tadm_decoder_decode_into work on the
 * parsed file, as often as wanted. The bytes are copied: the caller may free them at once. */
struct tadm_file_info; /* below, under inspection */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_parse(tadm_decoder* decoder, const uint8_t* data, size_t size,
                                                       const struct tadm_file_info** info);

/* Input through a read callback, for callers that do not hold the file in memory (a database,
 * an archive member, a network stream). `read` copies `size` bytes at `offset` into `buffer`
 * and returns 0, or non-zero on a read error (the parse then fails with TADM_ERROR_IO). */
typedef struct tadm_io {
  uint64_t size; /* the whole stream's size in bytes */
  int (*read)(void* user, uint64_t offset, uint8_t* buffer, size_t size);
  void* user;
} tadm_io;

/* tadm_decoder_parse through a read callback. The stream is read in order, in pieces of at most
 * 1 MiB, once; a stream larger than the memory budget is TADM_ERROR_LIMIT before any read. */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_parse_io(tadm_decoder* decoder, const tadm_io* io,
                                                          const struct tadm_file_info** info);
/* The parsed file's thumbnail, as tadm_decode_thumbnail gives it (no model). */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_thumbnail(tadm_decoder* decoder, tadm_image** out);
/* The parsed file decoded, as tadm_decoder_decode would decode it. */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_decode_parsed(tadm_decoder* decoder, tadm_image** out);
/* The parsed file decoded into the caller's pixels: `image` describes the buffer. Its width and
 * height must be the file's, its channels those of the decoded image ((grayscale ? 1 : 3) +
 * (alpha ? 1 : 0)); its bit_depth (8 or 16) is the output's, whatever the decoder's
 * output_bit_depth; row_bytes at least a row; pixels not NULL. Only the pixels are written:
 * the metadata fields are left as they are (the info holds the file's). */
TADM_NODISCARD TADM_API tadm_status tadm_decoder_decode_into(tadm_decoder* decoder, tadm_image* image);

/* ---------------------------------------------------------------- inspection */

/* The stored thumbnail's stream, byte for byte, without running any model: PNG, or the codec
 * tadm_file_info's lr_codec names (JPEG, WebP, JPEG XL, AVIF). For HEIF and AVIF the thumbnail is
 * decoded and re-encoded as PNG (the pixels are identical; the bytes are not the HEIF/AVIF's).
 * Free with tadm_buffer_free; tadm_decode_thumbnail gives the pixels of any of them. */
TADM_NODISCARD TADM_API tadm_status tadm_extract_thumbnail(const uint8_t* data, size_t size,
                                            const tadm_limits* limits, uint8_t** png,
                                            size_t* png_size, char* error, size_t error_size);

/* The stored thumbnail as pixels, whatever its codec (PNG, JPEG, WebP, JPEG XL, AVIF, and the
 * primary image of TADM-HEIF / TADM-AVIF files), decoded as the decoder decodes it, without
 * running any model: lr_width x lr_height, 8-bit, in the channel layout tadm_decoder_decode gives
 * (gray for a gray original, alpha when the original has one; the stored pixels as they are when
 * the stream has that layout, which tadmenc writes, else converted as the decoder converts), with
 * the file's ICC profile, EXIF, XMP and CICP. Limits may be NULL for the defaults. A damaged file
 * or thumbnail is TADM_ERROR_CORRUPT, a codec this build lacks TADM_ERROR_UNSUPPORTED; `error`
 * says which. Free `*out` with tadm_image_free. */
TADM_NODISCARD TADM_API tadm_status tadm_decode_thumbnail(const uint8_t* data, size_t size, const tadm_limits* limits,
                                           tadm_image** out, char* error, size_t error_size);

typedef struct tadm_chunk_info {
  char type[5];
  uint64_t offset;
  uint32_t length;
  int critical;
  int known;
} tadm_chunk_info;

typedef struct tadm_file_info {
  uint32_t version_major, version_minor;
  uint32_t width, height;
  uint32_t scale_x, scale_y;
  uint32_t lr_width, lr_height;
  int has_alpha, is_grayscale;
  uint32_t original_bit_depth;
  uint32_t lr_codec;             /* 0 = PNG */
  char model_name[65];
  char model_version[65];
  char model_sha256[65];         /* hex */
  uint64_t file_size;
  uint64_t lr_image_size;
  uint64_t icc_size, exif_size, xmp_size;
  int has_cicp;
  uint8_t cicp[4];
  int has_hint;
  uint32_t hint_grid_width, hint_grid_height, hint_tile_width, hint_tile_height;
  uint32_t chunk_count;          /* entries in `chunks` */
  tadm_chunk_info* chunks;       /* owned by the info; freed by tadm_file_info_free. For HEIF and
                                    AVIF: the chunks of the equivalent .tadm (the stored header with
                                    the re-encoded LR PNG as LRIM before TEND) */
  tadm_container_format container; /* the file's container; file_size is the whole file's size */
  /* The metadata and hint bytes themselves, owned by the info (NULL when absent): icc_size,
   * exif_size, xmp_size bytes, and hint_grid_width * hint_grid_height hint values, row-major. */
  const uint8_t* icc;
  const uint8_t* exif;
  const uint8_t* xmp;
  const uint8_t* hint_values;
  uint32_t reserved[8];
} tadm_file_info;

/* Parse and validate a file without decoding pixels. */
TADM_NODISCARD TADM_API tadm_status tadm_file_info_read(const uint8_t* data, size_t size, const tadm_limits* limits,
                                         tadm_file_info** out, char* error, size_t error_size);
TADM_API void tadm_file_info_free(tadm_file_info* info);

/* The info as a JSON object (UTF-8, NUL-terminated; free with tadm_buffer_free): the one
 * serialisation tadminfo --json and the Python module's tadm.info() print. Keys: "container"
 * ("tadm", "heif", "avif"), "version" ("1.0"), "file_size", "width", "height", "scale_x",
 * "scale_y", "lr_width", "lr_height", "channels" (of the decoded image, 1..4), "alpha",
 * "grayscale", "original_bit_depth", "lr_codec" ("png", "jpeg", "webp", "jxl", "avif"),
 * "lr_image_size", "bits_per_pixel", "model" {"name", "version", "sha256"}, "icc_size",
 * "exif_size", "xmp_size", "cicp" ({"colour_primaries", "transfer_characteristics",
 * "matrix_coefficients", "full_range"} or null), "hint" ({"grid_width", "grid_height",
 * "tile_width", "tile_height", "values": [...]} or null), "chunks" [{"type", "offset", "length",
 * "critical", "known"}]. */
TADM_NODISCARD TADM_API tadm_status tadm_file_info_json(const tadm_file_info* info, char** json, char* error,
                                                        size_t error_size);

/* The models this build can find: one line per bundle, "name\tscale\tversion\tsha256\tpath\tscales\n",
 * classic first: `scale` is the default scale (0 for classic), `scales` the scales served on each
 * axis ("16" for a per-scale bundle, "2..32" for an any-scale one, "2..64" for classic); a bundle
 * that cannot be loaded is listed with "(invalid: <why>)". Free with tadm_buffer_free. */
TADM_NODISCARD TADM_API tadm_status tadm_list_models(const char* model_dir, char** text, char* error,
                                                     size_t error_size);

#ifdef __cplusplus
}
#endif

#endif /* TADM_TADM_H */
