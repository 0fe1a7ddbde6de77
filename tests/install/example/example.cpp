// The C++ wrapper with C++17: encode and decode a photo with the classic model.
#include <cstdio>

#include <tadm/tadm.hpp>

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  try {
    tadm_cpp::ImagePtr photo = tadm_cpp::read_image(argv[1]);
    tadm_encoder_settings es;
    tadm_encoder_default_settings(&es);
    es.common.model = "classic";
    tadm_decoder_settings ds;
    tadm_decoder_default_settings(&ds);
    tadm_cpp::ImagePtr back = tadm_cpp::Decoder(ds).decode(tadm_cpp::Encoder(es).encode(*photo));
    std::printf("C++%ld: %ux%u\n", static_cast<long>(__cplusplus), back->width, back->height);
    return back->width == photo->width && back->height == photo->height ? 0 : 1;
  } catch (const tadm_cpp::Error& e) {
    std::fprintf(stderr, "%s: %s\n", tadm_status_string(e.status()), e.what());
    return 1;
  }
}
