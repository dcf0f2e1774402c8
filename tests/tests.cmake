# tests/tests.cmake — every tests/unit/test_*.c is a ctest test labelled "quick", every
# tests/exhaustive/test_*.c one labelled "exhaustive"; a new file needs no edit here.
# Tests use cmocka (or tests/common/check.h) and exit non-zero on any failed check.
find_package(cmocka CONFIG REQUIRED)
foreach(kind unit exhaustive)
  file(GLOB LB_TEST_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/${kind}/test_*.c)
  foreach(src ${LB_TEST_SOURCES})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_include_directories(${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/common
                               ${CMAKE_SOURCE_DIR}/lib/src ${CMOCKA_INCLUDE_DIR})
    target_compile_options(${name} PRIVATE ${LB_WARN} ${LB_ARCH})
    target_link_libraries(${name} PRIVATE lowbit ${CMOCKA_LIBRARIES})
    target_compile_definitions(${name} PRIVATE LB_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    if(name STREQUAL "test_torch_fixtures")
      # PyTorch writes the reference tensors first (Debian python3-torch; no data in git)
      add_test(NAME torch_fixtures_generate
               COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/reference/make_fixtures.py
                       ${CMAKE_BINARY_DIR}/torch_fixtures)
      set_tests_properties(torch_fixtures_generate PROPERTIES FIXTURES_SETUP torch_fixtures LABELS quick)
      add_test(NAME ${name} COMMAND ${name})
      set_tests_properties(${name} PROPERTIES LABELS quick FIXTURES_REQUIRED torch_fixtures
        ENVIRONMENT "LOWBIT_FIXTURE_DIR=${CMAKE_BINARY_DIR}/torch_fixtures")
    elseif(kind STREQUAL "unit")
      add_test(NAME ${name} COMMAND ${name})
      set_tests_properties(${name} PROPERTIES LABELS quick
        ENVIRONMENT "LOWBIT_CLI=$<TARGET_FILE:lowbit_cli>;LOWBIT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
    else()
      add_test(NAME ${name} COMMAND ${name})
      set_tests_properties(${name} PROPERTIES LABELS exhaustive
        ENVIRONMENT "LOWBIT_CLI=$<TARGET_FILE:lowbit_cli>;LOWBIT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
    endif()
  endforeach()
endforeach()
# Shell-level tests of the command (tests/cli/*.sh): each gets the CLI path as $1.
file(GLOB LB_CLI_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cli/test_*.sh)
foreach(script ${LB_CLI_TESTS})
  get_filename_component(name ${script} NAME_WE)
  add_test(NAME cli_${name} COMMAND bash ${script} $<TARGET_FILE:lowbit_cli>)
  set_tests_properties(cli_${name} PROPERTIES LABELS quick
    ENVIRONMENT "LOWBIT_SOURCE_DIR=${CMAKE_SOURCE_DIR}")
endforeach()
# The workflow reads the binary's registries (tests/workflow/test_registry_names.sh; snakemake).
add_test(NAME workflow_registry_names
         COMMAND bash ${CMAKE_SOURCE_DIR}/tests/workflow/test_registry_names.sh ${CMAKE_BINARY_DIR})
set_tests_properties(workflow_registry_names PROPERTIES LABELS quick)
# libFuzzer harnesses and the replay of their committed corpus (tests/fuzz/fuzz.cmake)
include(${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
