# Run at every build (cli/CMakeLists.txt): writes OUT, a C++ source holding the git revision SRC
# was built from, for `tailor --version`. OUT is rewritten only when the revision changes, so a
# build with nothing new compiles and links nothing (ninja restats the byproduct).
#
#   cmake -DSRC=<source dir> -DOUT=<file.cpp> [-DGIT=<git>] -P GitRevision.cmake
#
# "unknown" outside git: no git, a source tree that is not a checkout, or a tarball unpacked
# inside some other repository (whose revision says nothing about these sources).
set(rev "unknown")
if(GIT)
  execute_process(COMMAND ${GIT} -C ${SRC} rev-parse --show-toplevel
                  OUTPUT_VARIABLE top RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc EQUAL 0)
    file(REAL_PATH "${top}" top)
    file(REAL_PATH "${SRC}" src)
  endif()
  if(rc EQUAL 0 AND top STREQUAL src)
    # --exclude '*': the commit, never a tag name; --dirty: tracked files changed (describe
    # refreshes the index first, so a touched but unchanged file does not count).
    execute_process(COMMAND ${GIT} -C ${SRC} describe --always --abbrev=7 --dirty --exclude=*
                    OUTPUT_VARIABLE described RESULT_VARIABLE rc ERROR_QUIET
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(rc EQUAL 0 AND described MATCHES "^[0-9a-f]+(-dirty)?$")
      set(rev "${described}")
    endif()
  endif()
endif()
set(content "// Written by cmake/GitRevision.cmake at build time; not in git.
namespace tailor::cli {
extern const char* const kGitRevision;
const char* const kGitRevision = \"${rev}\";
}  // namespace tailor::cli
")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL content)
  file(WRITE "${OUT}" "${content}")
endif()
