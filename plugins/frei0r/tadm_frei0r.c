/* tadm frei0r filter: restores a full-resolution frame from a thumbnail that the host has
 * already enlarged by nearest-neighbour to the output size (frei0r frames keep their size).
 *
 * For each block of scale x scale pixels the thumbnail pixel is read at the block's centre,
 * (x * scale + scale / 2, y * scale + scale / 2); the thumbnail is then upscaled with
 * tadm_decoder_upscale() (libtadm's public C API) and written over the whole frame.
 *
 * Parameters (in frei0r order, as FFmpeg's frei0r filter passes them, separated by '|'):
 *   0 model  string  "classic" (default), a bundle name or a bundle directory
 *   1 scale  double  the factor itself, an integer 2..64 (default 16), NOT normalised to 0..1
 *
 * frei0r gives a plugin no way to report an error to its host. A setting that cannot work (an
 * unknown model, a bad scale, a frame size that is not a multiple of the scale) is reported
 * on stderr and the process exits with status 1 before any output frame is produced, so a
 * script never receives silently wrong frames.
 */
#include <frei0r.h>

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tadm/tadm.h>

#define TADM_F0R_DEFAULT_MODEL "classic"
#define TADM_F0R_DEFAULT_SCALE 16.0

typedef struct tadm_f0r {
  unsigned int width, height;
  char* model;          /* requested */
  double scale;         /* requested */
  tadm_decoder* decoder;
  char* decoder_model;  /* the model `decoder` was made for */
} tadm_f0r;

static char* dup_string(const char* s) {
  const size_t n = strlen(s) + 1;
  char* d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

__attribute__((format(printf, 1, 2), noreturn)) static void fatal(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  fprintf(stderr, "[frei0r tadm] error: ");
  vfprintf(stderr, fmt, args);
  fprintf(stderr, "\n");
  va_end(args);
  fflush(stderr);
  exit(EXIT_FAILURE);
}

int f0r_init(void) { return 1; }
void f0r_deinit(void) {}

void f0r_get_plugin_info(f0r_plugin_info_t* info) {
  info->name = "tadm";
  info->author = "tadm project";
  info->plugin_type = F0R_PLUGIN_TYPE_FILTER;
  info->color_model = F0R_COLOR_MODEL_RGBA8888;
  info->frei0r_version = FREI0R_MAJOR_VERSION;
  info->major_version = 0;
  info->minor_version = 1;
  info->num_params = 2;
  info->explanation =
      "Restores full resolution from a nearest-neighbour enlarged thumbnail with a tadm model "
      "(classic, a bundle name or a bundle directory)";
}

void f0r_get_param_info(f0r_param_info_t* info, int param_index) {
  switch (param_index) {
    case 0:
      info->name = "model";
      info->type = F0R_PARAM_STRING;
      info->explanation = "classic, a bundle name (pix16) or a bundle directory";
      break;
    case 1:
      info->name = "scale";
      info->type = F0R_PARAM_DOUBLE;
      info->explanation = "the factor the thumbnail was enlarged by, an integer 2..64 (not normalised)";
      break;
    default:
      break;
  }
}

f0r_instance_t f0r_construct(unsigned int width, unsigned int height) {
  tadm_f0r* inst = calloc(1, sizeof(*inst));
  if (!inst) return NULL;
  inst->width = width;
  inst->height = height;
  inst->scale = TADM_F0R_DEFAULT_SCALE;
  inst->model = dup_string(TADM_F0R_DEFAULT_MODEL);
  if (!inst->model) {
    free(inst);
    return NULL;
  }
  return inst;
}

void f0r_destruct(f0r_instance_t instance) {
  tadm_f0r* inst = instance;
  if (!inst) return;
  tadm_decoder_destroy(inst->decoder);
  free(inst->decoder_model);
  free(inst->model);
  free(inst);
}

void f0r_set_param_value(f0r_instance_t instance, f0r_param_t param, int param_index) {
  tadm_f0r* inst = instance;
  if (!inst || !param) return;
  if (param_index == 0) {
    const char* value = *(const f0r_param_string*)param;
    char* copy = dup_string(value ? value : "");
    if (!copy) return;
    free(inst->model);
    inst->model = copy;
  } else if (param_index == 1) {
    inst->scale = *(const f0r_param_double*)param;
  }
}

void f0r_get_param_value(f0r_instance_t instance, f0r_param_t param, int param_index) {
  tadm_f0r* inst = instance;
  if (!inst || !param) return;
  if (param_index == 0)
    *(f0r_param_string*)param = inst->model;
  else if (param_index == 1)
    *(f0r_param_double*)param = inst->scale;
}

static void tadm_f0r_log(void* user, tadm_log_level level, const char* message) {
  (void)user;
  if (level <= TADM_LOG_WARNING) fprintf(stderr, "[frei0r tadm] %s\n", message);
}

/* (Re)opens the model when it changed; exits with a message when the settings cannot work. */
static uint32_t prepare(tadm_f0r* inst) {
  const double s = inst->scale;
  if (!(s >= 2.0 && s <= 64.0) || floor(s) != s)
    fatal("scale %g must be an integer 2..64 (the factor itself, not normalised to 0..1)", s);
  const uint32_t scale = (uint32_t)s;
  if (inst->width % scale != 0 || inst->height % scale != 0) {
    fatal("the frame size %ux%u is not a multiple of the scale %u: enlarge the thumbnail first with "
          "scale=iw*%u:ih*%u:flags=neighbor", inst->width, inst->height, scale, scale, scale);
  }
  if (!inst->model[0]) fatal("the model parameter is empty (use classic)");
  if (!inst->decoder || strcmp(inst->decoder_model, inst->model) != 0) {
    tadm_decoder_destroy(inst->decoder);
    inst->decoder = NULL;
    free(inst->decoder_model);
    inst->decoder_model = NULL;
    tadm_decoder_settings settings;
    tadm_decoder_default_settings(&settings);
    settings.common.model = inst->model;
    settings.common.log = tadm_f0r_log;
    char error[512] = "";
    tadm_decoder* decoder = NULL;
    const tadm_status st = tadm_decoder_create(&settings, &decoder, error, sizeof(error));
    if (st != TADM_OK) {
      fatal("cannot open model '%s': %s", inst->model, error[0] ? error : tadm_status_string(st));
    }
    inst->decoder = decoder;
    inst->decoder_model = dup_string(inst->model);
    if (!inst->decoder_model) fatal("out of memory");
  }
  return scale;
}

void f0r_update(f0r_instance_t instance, double time, const uint32_t* inframe, uint32_t* outframe) {
  (void)time;
  tadm_f0r* inst = instance;
  if (!inst || !inframe || !outframe) return;
  const uint32_t scale = prepare(inst);
  const uint32_t lw = inst->width / scale, lh = inst->height / scale;
  const uint8_t* in = (const uint8_t*)inframe;
  const size_t in_stride = (size_t)inst->width * 4;

  /* RGB, plus alpha only when some pixel is not opaque (then alpha is upscaled classically). */
  int has_alpha = 0;
  for (uint32_t y = 0; y < lh && !has_alpha; ++y)
    for (uint32_t x = 0; x < lw; ++x)
      if (in[(size_t)(y * scale + scale / 2) * in_stride + (size_t)(x * scale + scale / 2) * 4 + 3] != 255) {
        has_alpha = 1;
        break;
      }
  const uint32_t channels = has_alpha ? 4u : 3u;
  tadm_image* lr = NULL;
  if (tadm_image_create(lw, lh, channels, 8, &lr, NULL, 0) != TADM_OK) fatal("out of memory");
  for (uint32_t y = 0; y < lh; ++y) {
    const uint8_t* src = in + (size_t)(y * scale + scale / 2) * in_stride;
    uint8_t* dst = lr->pixels + (size_t)y * lr->row_bytes;
    for (uint32_t x = 0; x < lw; ++x) {
      memcpy(dst + (size_t)x * channels, src + (size_t)(x * scale + scale / 2) * 4, channels);
    }
  }

  tadm_image* hr = NULL;
  const tadm_status st = tadm_decoder_upscale(inst->decoder, lr, scale, &hr);
  tadm_image_free(lr);
  if (st != TADM_OK) fatal("upscaling failed: %s", tadm_decoder_last_error(inst->decoder));
  if (hr->width != inst->width || hr->height != inst->height || hr->bit_depth != 8 || hr->channels < 3)
    fatal("libtadm returned an image of unexpected size or layout");

  uint8_t* out = (uint8_t*)outframe;
  for (uint32_t y = 0; y < inst->height; ++y) {
    const uint8_t* src = hr->pixels + (size_t)y * hr->row_bytes;
    uint8_t* dst = out + (size_t)y * in_stride;
    for (uint32_t x = 0; x < inst->width; ++x) {
      dst[4 * x + 0] = src[hr->channels * x + 0];
      dst[4 * x + 1] = src[hr->channels * x + 1];
      dst[4 * x + 2] = src[hr->channels * x + 2];
      dst[4 * x + 3] = hr->channels == 4 ? src[4 * x + 3] : 255;
    }
  }
  tadm_image_free(hr);
}
