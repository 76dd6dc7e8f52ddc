# Library-closure samples (test/test_resolve.cpp): shared libraries in samples/reslib/ that
# executables in samples/ find only through '$ORIGIN/reslib', as DT_RPATH or as DT_RUNPATH.
#   res_rpath / res_runpath             need libtailorres.so: both load.
#   res_rpath_chain / res_runpath_chain need libtailorresa.so, which needs libtailorresb.so:
#     the executable's DT_RPATH also serves its libraries' dependencies, its DT_RUNPATH does
#     not, so res_runpath_chain fails to load (libtailorresb.so not found) by design.
#   res_dlopen                          dlopens libtailorresa.so (not linked): the executable's
#     DT_RPATH finds it and libtailorresb.so, which it needs (record --static, test_analyze).
function(tailor_res_library NAME)
  add_library(${NAME} SHARED ${ARGN})
  set_target_properties(${NAME} PROPERTIES
    LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/samples/reslib
    SKIP_BUILD_RPATH ON)
  target_compile_options(${NAME} PRIVATE -O1 -Wall -fno-sanitize=all)
  target_link_options(${NAME} PRIVATE -fno-sanitize=all)
  add_dependencies(samples ${NAME})
endfunction()

tailor_res_library(tailorres resolve/lib.c)
tailor_res_library(tailorresb resolve/libb.c)
tailor_res_library(tailorresa resolve/liba.c)
# No search path in libtailorresa.so itself: that is the point of the chain samples.
target_link_libraries(tailorresa PRIVATE tailorresb)

# TAGS: --disable-new-dtags writes DT_RPATH, --enable-new-dtags DT_RUNPATH. CMake's own build
# RPATH (absolute directories) is turned off so that '$ORIGIN/reslib' is the only search path.
function(tailor_res_exe NAME TAGS LIB)
  tailor_sample(${NAME} resolve/main.c LIBS ${LIB} ${ARGN})
  # BUILD_RPATH: CMake quotes '$ORIGIN' for the generator's shell itself. Its automatic entries
  # for the linked libraries' directories are made $ORIGIN-relative too, and so are the same
  # '$ORIGIN/reslib': the one search path. TAGS picks DT_RPATH or DT_RUNPATH.
  set_target_properties(${NAME} PROPERTIES BUILD_RPATH "$ORIGIN/reslib" BUILD_RPATH_USE_ORIGIN ON)
  target_link_options(${NAME} PRIVATE -Wl,${TAGS})
endfunction()

tailor_res_exe(res_rpath --disable-new-dtags tailorres)
tailor_res_exe(res_runpath --enable-new-dtags tailorres)
tailor_res_exe(res_rpath_chain --disable-new-dtags tailorresa FLAGS -DTAILOR_RES_CHAIN)
tailor_res_exe(res_runpath_chain --enable-new-dtags tailorresa FLAGS -DTAILOR_RES_CHAIN)
tailor_res_exe(res_dlopen --disable-new-dtags dl FLAGS -DTAILOR_RES_DLOPEN)
# Not linked to the library it loads: built after it, so that it is there to load.
add_dependencies(res_dlopen tailorresa)
