/* The smallest complete libtadm program: read a photo, encode it with the default model (or the
 * one named in argv[2]), decode it again, and check the size. Built against an installed tadm by
 * pkg-config and by find_package(tadm) in tests/install/install_test.sh. */
#include <stdio.h>
#include <stdlib.h>

#include <tadm/tadm.h>

int main(int argc, char** argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s PHOTO [MODEL]\n", argv[0]);
    return 2;
  }
  if (tadm_version_int() != TADM_VERSION) {
    fprintf(stderr, "built against tadm %d, running %d\n", TADM_VERSION, tadm_version_int());
    return 1;
  }
  char error[1024] = "";
  tadm_image* photo = NULL;
  if (tadm_image_read_file(argv[1], NULL, &photo, error, sizeof error) != TADM_OK) {
    fprintf(stderr, "read: %s\n", error);
    return 1;
  }
  tadm_encoder_settings es;
  tadm_encoder_default_settings(&es);
  if (argc > 2) es.common.model = argv[2];
  tadm_encoder* encoder = NULL;
  if (tadm_encoder_create(&es, &encoder, error, sizeof error) != TADM_OK) {
    fprintf(stderr, "encoder: %s\n", error);
    return 1;
  }
  uint8_t* file = NULL;
  size_t file_size = 0;
  if (tadm_encoder_encode(encoder, photo, &file, &file_size) != TADM_OK) {
    fprintf(stderr, "encode: %s\n", tadm_encoder_last_error(encoder));
    return 1;
  }
  printf("tadm %s: %ux%u -> %zu bytes with %s\n", tadm_version_string(), photo->width, photo->height,
         file_size, tadm_encoder_model_name(encoder));
  tadm_decoder_settings ds;
  tadm_decoder_default_settings(&ds);
  tadm_decoder* decoder = NULL;
  tadm_image* back = NULL;
  if (tadm_decoder_create(&ds, &decoder, error, sizeof error) != TADM_OK ||
      tadm_decoder_decode(decoder, file, file_size, &back) != TADM_OK) {
    fprintf(stderr, "decode: %s\n", decoder ? tadm_decoder_last_error(decoder) : error);
    return 1;
  }
  const int same = back->width == photo->width && back->height == photo->height;
  printf("decoded %ux%u\n", back->width, back->height);
  tadm_image_free(back);
  tadm_decoder_destroy(decoder);
  tadm_buffer_free(file);
  tadm_encoder_destroy(encoder);
  tadm_image_free(photo);
  return same ? 0 : 1;
}
