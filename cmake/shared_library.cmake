# cmake/shared_library.cmake — liblowbit.so (build/lib/, SONAME liblowbit.so.<major>): the same
# sources and flags as the static library (which the command, tests and benchmarks keep using),
# compiled a second time as position-independent code. Only the functions declared in the public
# headers lib/include/lowbit/*.h are exported: the version script is generated from those headers
# at configure time (every "lb_name(" in them; static inline ones simply have no symbol), every
# other symbol is local. Checked by tests/python/test_lowbit_library.py with nm -D.
# Not built with the sanitizers (an ASan library cannot be loaded into an uninstrumented python).
if(LOWBIT_SANITIZE)
  return()
endif()
file(GLOB LB_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/lib/include/lowbit/*.h)
# an edited header (a new function) regenerates the version script
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${LB_PUBLIC_HEADERS})
set(LB_EXPORTS "")
foreach(h ${LB_PUBLIC_HEADERS})
  file(READ ${h} text)
  string(REGEX MATCHALL "lb_[A-Za-z0-9_]+[ \t]*\\(" calls "${text}")
  foreach(c ${calls})
    string(REGEX REPLACE "[ \t]*\\($" "" c "${c}")
    list(APPEND LB_EXPORTS ${c})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES LB_EXPORTS)
list(SORT LB_EXPORTS)
list(JOIN LB_EXPORTS ";\n    " LB_EXPORT_LINES)
set(LB_VERSION_SCRIPT ${CMAKE_BINARY_DIR}/generated/liblowbit.map)
file(CONFIGURE OUTPUT ${LB_VERSION_SCRIPT} CONTENT
     "LOWBIT_${PROJECT_VERSION_MAJOR} {\n  global:\n    ${LB_EXPORT_LINES};\n  local:\n    *;\n};\n")

add_library(lowbit_shared SHARED ${LB_SOURCES})
foreach(prop COMPILE_OPTIONS COMPILE_DEFINITIONS INCLUDE_DIRECTORIES LINK_LIBRARIES)
  get_target_property(value lowbit ${prop})
  if(value)
    set_property(TARGET lowbit_shared PROPERTY ${prop} "${value}")
  endif()
endforeach()
add_dependencies(lowbit_shared lb_gitsha)
target_compile_options(lowbit_shared PRIVATE -fno-semantic-interposition)
target_link_options(lowbit_shared PRIVATE -Wl,--version-script=${LB_VERSION_SCRIPT} -Wl,--no-undefined)
set_target_properties(lowbit_shared PROPERTIES
  OUTPUT_NAME lowbit
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${LB_VERSION_SCRIPT}
  LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/lib)
install(TARGETS lowbit_shared LIBRARY DESTINATION lib)
