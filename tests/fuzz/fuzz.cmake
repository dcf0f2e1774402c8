# tests/fuzz/fuzz.cmake — the fuzz harnesses (tests/fuzz/fuzz_*.c, one libFuzzer entry point
# LLVMFuzzerTestOneInput each). Included by tests/tests.cmake.
#   normal builds: each harness linked with tests/fuzz/replay.c (a plain main) as
#                  fuzz_replay_<name>, and a ctest test (label quick) that replays the
#                  committed corpus tests/fuzz/corpus/<name>/ under the build's sanitizers
#   -DLOWBIT_FUZZ=ON (clang; `make fuzz`): the library is instrumented for libFuzzer
#                  (-fsanitize=fuzzer-no-link plus ASan/UBSan) and each harness is a fuzzer
#                  fuzz_<name>; target fuzz_all builds them all (tests/fuzz/run.sh runs them)
option(LOWBIT_FUZZ "Build the libFuzzer harnesses (clang, with ASan/UBSan)" OFF)
file(GLOB LB_FUZZ_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_*.c)
# fuzz_quantize_text calls the CLI's text parser (lib/src/cli/cmd_quantize.c)
set(LB_FUZZ_EXTRA_quantize_text ${CMAKE_SOURCE_DIR}/lib/src/cli/cmd_quantize.c)
# the HDF5 readers' replays also get the files that crash or hang libhdf5 itself
# (tests/fuzz/libhdf5/): the readers' forked probe must turn each into an error return
set(LB_FUZZ_REPLAY_hdf5 ${CMAKE_SOURCE_DIR}/tests/fuzz/libhdf5)
set(LB_FUZZ_REPLAY_ops ${CMAKE_SOURCE_DIR}/tests/fuzz/libhdf5)

if(LOWBIT_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "LOWBIT_FUZZ needs clang (libFuzzer): cmake -DCMAKE_C_COMPILER=clang ...")
  endif()
  set(LB_FUZZ_SAN -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -g)
  # (gcc-only attributes and pragmas such as optimize("no-tree-vectorize") and
  # "#pragma GCC optimize" are no error for clang)
  target_compile_options(lowbit PRIVATE -fsanitize=fuzzer-no-link ${LB_FUZZ_SAN} -Wno-unknown-attributes
                         -Wno-unknown-pragmas)
  target_link_options(lowbit INTERFACE -fsanitize=address,undefined)
  add_custom_target(fuzz_all)
endif()

foreach(src ${LB_FUZZ_SOURCES})
  get_filename_component(stem ${src} NAME_WE)
  string(REGEX REPLACE "^fuzz_" "" name ${stem})
  if(LOWBIT_FUZZ)
    set(exe fuzz_${name})
    add_executable(${exe} ${src} ${LB_FUZZ_EXTRA_${name}})
    target_compile_options(${exe} PRIVATE -fsanitize=fuzzer ${LB_FUZZ_SAN})
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer ${LB_FUZZ_SAN})
    add_dependencies(fuzz_all ${exe})
  else()
    set(exe fuzz_replay_${name})
    add_executable(${exe} ${src} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay.c ${LB_FUZZ_EXTRA_${name}})
    add_test(NAME ${exe} COMMAND ${exe} ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name}
                                 ${LB_FUZZ_REPLAY_${name}})
    # (the probe's time limit, short: one libhdf5 input loops forever)
    set_tests_properties(${exe} PROPERTIES LABELS quick ENVIRONMENT LOWBIT_H5_PROBE_TIMEOUT=3)
  endif()
  target_include_directories(${exe} PRIVATE ${CMAKE_SOURCE_DIR}/lib/src)
  target_compile_options(${exe} PRIVATE ${LB_WARN} ${LB_ARCH})
  target_compile_definitions(${exe} PRIVATE LB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  target_link_libraries(${exe} PRIVATE lowbit)
endforeach()
