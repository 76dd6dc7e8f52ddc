// libtailorresa.so: needs libtailorresb.so but has no search path of its own, so only the
// executable's DT_RPATH (searched for the loaders' dependencies too) can find it; a DT_RUNPATH
// applies to the executable's own DT_NEEDED entries alone.
int tailorresb_value(void);
int tailorresa_value(void) {
  return tailorresb_value() + 1;
}
