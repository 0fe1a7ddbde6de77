// LeakSanitizer suppressions built into the fuzz and replay executables (read by the sanitizer
// runtime at start-up; unused in builds without it).
extern "C" const char* __lsan_default_suppressions();
extern "C" const char* __lsan_default_suppressions() {
  return
      // As in tests/heif/lsan.supp: x265, through libheif's HEVC encoder, keeps a small internal
      // allocation per encoder it never frees. Not ours.
      "leak:libx265.so\n"
#ifdef TADM_FUZZ_ALLOC_FAIL
      // Allocation-failure mode only. libheif is not exception-safe across its C API: e.g.
      // heif_context_alloc() leaks its heif_context when the HeifContext allocation inside it
      // throws, and lets std::bad_alloc out of a C function. Not ours; its stacks end in libheif
      // (no frame pointers), hence the library-wide line. (This also hides the engine's own
      // heif_avif.cpp leak of a decoded heif_image, reported in tests/README.md.)
      "leak:libheif.so\n"
#endif
      "";
}
