// libtailorres.so: a library found only through the executable's DT_RPATH or DT_RUNPATH
// ('$ORIGIN/reslib'), for the library-closure tests (test/test_resolve.cpp).
int tailorres_value(void) {
  return 42;
}
