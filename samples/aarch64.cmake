# aarch64 objects for test/test_aarch64.cpp: cross-built by clang, which targets aarch64
# without any aarch64 headers or libraries (the sources are freestanding). They are read by
# the analyzer, never run. Without clang they are not built and the tests say so.
#   aarch64_sites.o     samples/aarch64/sites.c (the analysis cases in C)
#   aarch64_sites_fs.o  the same with -ffunction-sections (one code section per function)
#   aarch64_cases.o     samples/aarch64/cases.S (hand-written forms of setting x8)
#   aarch64_lib.so      samples/aarch64/lib.c linked by ld.lld (PLT imports, exports); only
#                       if ld.lld is installed
#   aarch64_go          samples/aarch64/go (a static Go program); only if Go is installed
if(CMAKE_C_COMPILER_ID STREQUAL "Clang")
  set(TAILOR_CLANG ${CMAKE_C_COMPILER})
else()
  find_program(TAILOR_CLANG clang)
endif()
find_program(TAILOR_LD_LLD ld.lld)

if(TAILOR_CLANG)
  set(dir ${CMAKE_BINARY_DIR}/samples)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/aarch64)
  set(flags --target=aarch64-linux-gnu -O2 -ffreestanding -fno-stack-protector)
  set(outputs ${dir}/aarch64_sites.o ${dir}/aarch64_sites_fs.o ${dir}/aarch64_cases.o)
  add_custom_command(OUTPUT ${dir}/aarch64_sites.o ${dir}/aarch64_sites_fs.o
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${TAILOR_CLANG} ${flags} -c ${src}/sites.c -o ${dir}/aarch64_sites.o
    COMMAND ${TAILOR_CLANG} ${flags} -ffunction-sections -c ${src}/sites.c
            -o ${dir}/aarch64_sites_fs.o
    DEPENDS ${src}/sites.c
    COMMENT "Cross-building the aarch64 sample objects"
    VERBATIM)
  add_custom_command(OUTPUT ${dir}/aarch64_cases.o
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${TAILOR_CLANG} --target=aarch64-linux-gnu -c ${src}/cases.S -o ${dir}/aarch64_cases.o
    DEPENDS ${src}/cases.S
    VERBATIM)
  if(TAILOR_LD_LLD)
    # -nostdlib: no aarch64 libc here; its functions stay undefined and are imported.
    add_custom_command(OUTPUT ${dir}/aarch64_lib.so
      COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
      COMMAND ${TAILOR_CLANG} ${flags} -fPIC -fuse-ld=lld -shared -nostdlib
              -Wl,-soname,libtailor-aarch64.so ${src}/lib.c -o ${dir}/aarch64_lib.so
      DEPENDS ${src}/lib.c
      VERBATIM)
    list(APPEND outputs ${dir}/aarch64_lib.so)
  endif()
  add_custom_target(aarch64_samples DEPENDS ${outputs})
  add_dependencies(samples aarch64_samples)
endif()

# Go cross-compiles by itself (GOARCH=arm64, no cgo), offline and hermetic as samples/go.cmake
# builds: GOPATH mode (no go.mod, so no VCS stamping that a checkout owned by another user
# would break), nothing downloaded, its own caches in the build tree.
find_program(TAILOR_GO_AARCH64 go)
if(TAILOR_GO_AARCH64)
  set(dir ${CMAKE_BINARY_DIR}/samples)
  set(src ${CMAKE_CURRENT_SOURCE_DIR}/aarch64/go)
  add_custom_command(OUTPUT ${dir}/aarch64_go
    COMMAND ${CMAKE_COMMAND} -E make_directory ${dir}
    COMMAND ${CMAKE_COMMAND} -E env GOOS=linux GOARCH=arm64 CGO_ENABLED=0 GOPROXY=off
            GO111MODULE=off GOTOOLCHAIN=local GOENV=off GOFLAGS=
            GOCACHE=${CMAKE_BINARY_DIR}/go-cache GOPATH=${CMAKE_BINARY_DIR}/go-path
            ${TAILOR_GO_AARCH64} build -p 2 -trimpath -o ${dir}/aarch64_go main.go
    WORKING_DIRECTORY ${src}
    DEPENDS ${src}/main.go
    COMMENT "Cross-building the aarch64 Go sample"
    VERBATIM)
  add_custom_target(aarch64_go_sample DEPENDS ${dir}/aarch64_go)
  add_dependencies(samples aarch64_go_sample)
endif()
