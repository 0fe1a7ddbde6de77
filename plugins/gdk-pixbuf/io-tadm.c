/* gdk-pixbuf loader for .tadm files. Uses only the public C API (libtadm).
 *
 * The whole file is buffered (a .tadm is a few kilobytes), then at the end of the load:
 *  - the full size is announced through the size-prepared callback;
 *  - if the caller asked for a size no larger than twice the stored thumbnail on both axes
 *    (thumbnailers, file-manager icons), the stored LR image (any thumbnail codec) is returned as
 *    it is and no model runs; gdk-pixbuf scales it to the requested size;
 *  - otherwise the file is decoded to full resolution with the model named in the file.
 * A size request of 0x0 (gdk_pixbuf_get_file_info) stops after the size. */
#define GDK_PIXBUF_ENABLE_BACKEND
#include <gdk-pixbuf/gdk-pixbuf-io.h>
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib.h>
#include <string.h>
#include <tadm/tadm.h>

/* A request at most this many times the thumbnail's size per axis gets the thumbnail. */
#define TADM_THUMBNAIL_FACTOR 2

typedef struct {
  GdkPixbufModuleSizeFunc size_func;
  GdkPixbufModulePreparedFunc prepared_func;
  GdkPixbufModuleUpdatedFunc updated_func;
  gpointer user_data;
  GByteArray* data;
} TadmContext;

static void set_error(GError** error, gint code, const char* what, const char* detail) {
  g_set_error(error, GDK_PIXBUF_ERROR, code, "TADM: %s%s%s", what, detail && *detail ? ": " : "",
              detail ? detail : "");
}

static gint error_code(tadm_status st) {
  switch (st) {
    case TADM_ERROR_OUT_OF_MEMORY: return GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY;
    case TADM_ERROR_UNSUPPORTED:
    case TADM_ERROR_MODEL:
    case TADM_ERROR_MODEL_MISMATCH: return GDK_PIXBUF_ERROR_UNSUPPORTED_OPERATION;
    default: return GDK_PIXBUF_ERROR_CORRUPT_IMAGE;
  }
}

/* An 8- or 16-bit tadm_image with 1..4 channels as an 8-bit RGB or RGBA pixbuf. */
static GdkPixbuf* to_pixbuf(const tadm_image* im, GError** error) {
  const gboolean alpha = im->channels == 2 || im->channels == 4;
  const gboolean gray = im->channels <= 2;
  GdkPixbuf* pb = gdk_pixbuf_new(GDK_COLORSPACE_RGB, alpha, 8, (int)im->width, (int)im->height);
  if (!pb) {
    set_error(error, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY, "cannot allocate the image", NULL);
    return NULL;
  }
  guchar* dst = gdk_pixbuf_get_pixels(pb);
  const int stride = gdk_pixbuf_get_rowstride(pb);
  const guint oc = alpha ? 4u : 3u;
  for (guint32 y = 0; y < im->height; ++y) {
    const uint8_t* row = im->pixels + (size_t)y * im->row_bytes;
    guchar* out = dst + (size_t)y * (size_t)stride;
    for (guint32 x = 0; x < im->width; ++x) {
      guchar s[4];
      for (guint c = 0; c < im->channels; ++c) {
        if (im->bit_depth == 16) {
          uint16_t v;
          memcpy(&v, row + ((size_t)x * im->channels + c) * 2, 2);
          s[c] = (guchar)((v * 255u + 32767u) / 65535u);
        } else {
          s[c] = row[(size_t)x * im->channels + c];
        }
      }
      guchar* q = out + (size_t)x * oc;
      if (gray) {
        q[0] = q[1] = q[2] = s[0];
        if (alpha) q[3] = s[1];
      } else {
        q[0] = s[0];
        q[1] = s[1];
        q[2] = s[2];
        if (alpha) q[3] = s[3];
      }
    }
  }
  return pb;
}

static GdkPixbuf* load_thumbnail(const guint8* data, gsize size, GError** error) {
  tadm_image* im = NULL;
  char err[512] = "";
  const tadm_status st = tadm_decode_thumbnail(data, size, NULL, &im, err, sizeof err);
  if (st != TADM_OK) {
    set_error(error, error_code(st), "cannot decode the thumbnail", err);
    return NULL;
  }
  GdkPixbuf* pb = to_pixbuf(im, error);
  tadm_image_free(im);
  return pb;
}

static GdkPixbuf* load_full(const guint8* data, gsize size, GError** error) {
  tadm_decoder_settings s;
  tadm_decoder_default_settings(&s);
  s.output_bit_depth = 8;
  tadm_decoder* dec = NULL;
  char err[512] = "";
  tadm_status st = tadm_decoder_create(&s, &dec, err, sizeof err);
  if (st != TADM_OK) {
    set_error(error, error_code(st), "cannot create the decoder", err);
    return NULL;
  }
  tadm_image* im = NULL;
  st = tadm_decoder_decode(dec, data, size, &im);
  if (st != TADM_OK) {
    set_error(error, error_code(st), "cannot decode", tadm_decoder_last_error(dec));
    tadm_decoder_destroy(dec);
    return NULL;
  }
  tadm_decoder_destroy(dec);
  GdkPixbuf* pb = to_pixbuf(im, error);
  tadm_image_free(im);
  return pb;
}

static gpointer tadm_begin_load(GdkPixbufModuleSizeFunc size_func, GdkPixbufModulePreparedFunc prepared_func,
                                GdkPixbufModuleUpdatedFunc updated_func, gpointer user_data, GError** error) {
  (void)error;
  TadmContext* ctx = g_new0(TadmContext, 1);
  ctx->size_func = size_func;
  ctx->prepared_func = prepared_func;
  ctx->updated_func = updated_func;
  ctx->user_data = user_data;
  ctx->data = g_byte_array_new();
  return ctx;
}

static gboolean tadm_load_increment(gpointer context, const guchar* buf, guint size, GError** error) {
  TadmContext* ctx = context;
  /* A .tadm is small; refuse absurd streams rather than buffer them. */
  if ((guint64)ctx->data->len + size > (guint64)512 * 1024 * 1024) {
    set_error(error, GDK_PIXBUF_ERROR_INSUFFICIENT_MEMORY, "file larger than 512 MiB", NULL);
    return FALSE;
  }
  g_byte_array_append(ctx->data, buf, size);
  return TRUE;
}

static gboolean finish(TadmContext* ctx, GError** error) {
  const guint8* data = ctx->data->data;
  const gsize size = ctx->data->len;
  tadm_file_info* info = NULL;
  char err[512] = "";
  const tadm_status st = tadm_file_info_read(data, size, NULL, &info, err, sizeof err);
  if (st != TADM_OK) {
    set_error(error, error_code(st), "cannot read the file", err);
    return FALSE;
  }
  int w = (int)info->width, h = (int)info->height;
  const guint64 lr_w = info->lr_width, lr_h = info->lr_height;
  tadm_file_info_free(info);
  if (ctx->size_func) {
    ctx->size_func(&w, &h, ctx->user_data);
    if (w <= 0 || h <= 0) return TRUE; /* only the size was wanted */
  }
  const gboolean small = (guint64)w <= TADM_THUMBNAIL_FACTOR * lr_w && (guint64)h <= TADM_THUMBNAIL_FACTOR * lr_h;
  GdkPixbuf* pb = small ? load_thumbnail(data, size, error) : load_full(data, size, error);
  if (!pb) return FALSE;
  if (ctx->prepared_func) ctx->prepared_func(pb, NULL, ctx->user_data);
  if (ctx->updated_func)
    ctx->updated_func(pb, 0, 0, gdk_pixbuf_get_width(pb), gdk_pixbuf_get_height(pb), ctx->user_data);
  g_object_unref(pb);
  return TRUE;
}

static gboolean tadm_stop_load(gpointer context, GError** error) {
  TadmContext* ctx = context;
  const gboolean ok = finish(ctx, error);
  g_byte_array_unref(ctx->data);
  g_free(ctx);
  return ok;
}

G_MODULE_EXPORT void fill_vtable(GdkPixbufModule* module);
G_MODULE_EXPORT void fill_info(GdkPixbufFormat* info);

G_MODULE_EXPORT void fill_vtable(GdkPixbufModule* module) {
  module->begin_load = tadm_begin_load;
  module->stop_load = tadm_stop_load;
  module->load_increment = tadm_load_increment;
}

G_MODULE_EXPORT void fill_info(GdkPixbufFormat* info) {
  static GdkPixbufModulePattern signature[] = {{(char*)"\x89TADM\r\n\x1a", NULL, 100}, {NULL, NULL, 0}};
  static gchar* mime_types[] = {(gchar*)"image/x-tadm", NULL};
  static gchar* extensions[] = {(gchar*)"tadm", NULL};
  info->name = (gchar*)"tadm";
  info->signature = signature;
  info->description = (gchar*)"TADM extreme-ratio image (thumbnail + learned restoration)";
  info->mime_types = mime_types;
  info->extensions = extensions;
  info->flags = GDK_PIXBUF_FORMAT_THREADSAFE;
  info->license = (gchar*)"the tadm project's licence";
}
