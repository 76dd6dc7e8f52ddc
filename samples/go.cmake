# A Go sample for tailor analyze: a Go binary makes its syscalls through the Go runtime's own
# syscall layer (no libc), which the analyzer must understand (see samples/go/gosample.go and
# test/test_go.cpp). Built with Debian's golang-go when `go` is installed; test_go.cpp skips
# with a warning without it.
#
# Offline and hermetic: GOPATH mode (GO111MODULE=off: one file, standard library only, no
# go.mod and no VCS stamping), GOPROXY=off and GOTOOLCHAIN=local so nothing is downloaded, the
# build cache and GOPATH inside the build directory, and no user go env file. CGO_ENABLED=0
# gives the static binary Go programs are usually deployed as (with cgo, package net would
# link libc for its resolver).
find_program(GO go)
if(GO)
  set(GOSAMPLE ${CMAKE_BINARY_DIR}/samples/gosample)
  add_custom_command(
    OUTPUT ${GOSAMPLE}
    COMMAND ${CMAKE_COMMAND} -E env
            GOCACHE=${CMAKE_BINARY_DIR}/go-cache GOPATH=${CMAKE_BINARY_DIR}/go-path
            GO111MODULE=off GOPROXY=off GOTOOLCHAIN=local GOENV=off GOFLAGS= CGO_ENABLED=0
            ${GO} build -o ${GOSAMPLE} gosample.go
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/go
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/go/gosample.go
    COMMENT "Building Go sample gosample"
    VERBATIM)
  # gotemp (samples/go/gotemp.go): the temp files and directory listings of a Go program, for
  # the AppArmor rules of test/test_apparmor.cpp. Same hermetic build.
  set(GOTEMP ${CMAKE_BINARY_DIR}/samples/gotemp)
  add_custom_command(
    OUTPUT ${GOTEMP}
    COMMAND ${CMAKE_COMMAND} -E env
            GOCACHE=${CMAKE_BINARY_DIR}/go-cache GOPATH=${CMAKE_BINARY_DIR}/go-path
            GO111MODULE=off GOPROXY=off GOTOOLCHAIN=local GOENV=off GOFLAGS= CGO_ENABLED=0
            ${GO} build -o ${GOTEMP} gotemp.go
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/go
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/go/gotemp.go
    COMMENT "Building Go sample gotemp"
    VERBATIM)
  add_custom_target(go_sample ALL DEPENDS ${GOSAMPLE} ${GOTEMP})
  add_dependencies(samples go_sample)
else()
  message(STATUS "go not found: the Go sample (samples/go) is not built")
endif()
