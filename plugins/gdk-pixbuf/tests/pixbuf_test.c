/* The .tadm gdk-pixbuf loader as applications use it (GDK_PIXBUF_MODULE_FILE must name a cache
 * that lists the built loader).
 * usage: pixbuf_test FILE.tadm FULL.png THUMB.png CORRUPT.tadm
 *   FULL.png: tadmdec -d 8 output; THUMB.png: tadmdec --thumbnail output. */
#include <gdk-pixbuf/gdk-pixbuf.h>
#include <stdio.h>
#include <string.h>
#include <tadm/tadm.h>

static int failures = 0;

static void check(int ok, const char* what) {
  printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

/* Number of samples that differ between a pixbuf and a tadm_image (gray expanded to RGB). */
static long differences(const GdkPixbuf* pb, const tadm_image* im) {
  const int w = gdk_pixbuf_get_width(pb), h = gdk_pixbuf_get_height(pb);
  const int nc = gdk_pixbuf_get_n_channels(pb), stride = gdk_pixbuf_get_rowstride(pb);
  const int has_alpha = im->channels == 2 || im->channels == 4;
  if ((guint32)w != im->width || (guint32)h != im->height || im->bit_depth != 8 || (nc == 4) != has_alpha) return -1;
  const guchar* px = gdk_pixbuf_read_pixels(pb);
  long diff = 0;
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) {
      const guchar* p = px + (size_t)y * (size_t)stride + (size_t)x * (size_t)nc;
      const uint8_t* q = im->pixels + (size_t)y * im->row_bytes + (size_t)x * im->channels;
      for (int c = 0; c < nc; ++c) {
        const uint8_t ref = im->channels <= 2 ? (c < 3 ? q[0] : q[1]) : q[c];
        if (p[c] != ref) ++diff;
      }
    }
  return diff;
}

static tadm_image* read_png(const char* path) {
  tadm_image* im = NULL;
  char err[512] = "";
  if (tadm_image_read_file(path, NULL, &im, err, sizeof err) != TADM_OK) fprintf(stderr, "%s\n", err);
  return im;
}

int main(int argc, char** argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s FILE.tadm FULL.png THUMB.png CORRUPT.tadm\n", argv[0]);
    return 2;
  }
  tadm_image* full = read_png(argv[2]);
  tadm_image* thumb = read_png(argv[3]);
  if (!full || !thumb) return 1;

  int w = 0, h = 0;
  GdkPixbufFormat* format = gdk_pixbuf_get_file_info(argv[1], &w, &h);
  check(format && strcmp(gdk_pixbuf_format_get_name(format), "tadm") == 0, "the tadm loader is chosen");
  check((guint32)w == full->width && (guint32)h == full->height, "get_file_info reports the full size");

  GError* error = NULL;
  GdkPixbuf* pb = gdk_pixbuf_new_from_file(argv[1], &error);
  check(pb != NULL, error ? error->message : "full-size load");
  if (pb) {
    const long d = differences(pb, full);
    printf("     full-size load: %dx%d, %ld samples differ from tadmdec\n", gdk_pixbuf_get_width(pb),
           gdk_pixbuf_get_height(pb), d);
    check(d == 0, "a full-size load is the model's output (tadmdec), sample for sample");
    g_object_unref(pb);
  }
  g_clear_error(&error);

  pb = gdk_pixbuf_new_from_file_at_scale(argv[1], (int)thumb->width, (int)thumb->height, FALSE, &error);
  check(pb != NULL, error ? error->message : "thumbnail-size load");
  if (pb) {
    const long d = differences(pb, thumb);
    check(d == 0, "a load at the thumbnail's size returns the stored thumbnail (no model), sample for sample");
    g_object_unref(pb);
  }
  g_clear_error(&error);

  pb = gdk_pixbuf_new_from_file_at_size(argv[1], 2 * (int)thumb->width, 2 * (int)thumb->height, &error);
  check(pb != NULL && gdk_pixbuf_get_width(pb) <= 2 * (int)thumb->width &&
            gdk_pixbuf_get_height(pb) <= 2 * (int)thumb->height,
        "a load at twice the thumbnail's size gives that size");
  if (pb) g_object_unref(pb);
  g_clear_error(&error);

  pb = gdk_pixbuf_new_from_file(argv[4], &error);
  check(pb == NULL && error != NULL, "a corrupt file fails with an error");
  if (error) printf("     error: %s\n", error->message);
  if (pb) g_object_unref(pb);
  g_clear_error(&error);

  tadm_image_free(full);
  tadm_image_free(thumb);
  printf("%d failure(s)\n", failures);
  return failures ? 1 : 0;
}
