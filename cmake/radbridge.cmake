# Helpers shared by every CMakeLists.txt of the project.
#
# radbridge_target(TARGET)   our warnings (and sanitizers when enabled) on one target
# radbridge_test_code(TARGET)  test code (fixtures, suites) at -O1 unless Debug
# radbridge_add_test(NAME SOURCES ... LIBS ... LABELS ...)
#                            a doctest executable registered with CTest

function(radbridge_target target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wsign-conversion)
  if(RADBRIDGE_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
      # -O1 and line tables only: what the sanitizers' reports need, and it
      # halves the compile time of the Asio/Beast translation units.
      -O1 -g1)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Test code itself (not the libraries it tests) at -O1 in an optimised build:
# doctest's expanded macros compile ~30% faster than at -O2, and nothing in a
# test is hot. A Debug build keeps -O0.
function(radbridge_test_code target)
  if(NOT RADBRIDGE_SANITIZE)
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O1>)
  endif()
endfunction()

function(radbridge_add_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} radbridge_doctest_main)
  radbridge_target(${name})
  radbridge_test_code(${name})
  add_test(NAME ${name} COMMAND ${name} --no-intro --force-colors=0)
  set_tests_properties(${name} PROPERTIES
    LABELS "${arg_LABELS}"
    ENVIRONMENT "RADBRIDGE_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# For targets that compile Boost.Asio coroutines: g++ 12 reports a false
# -Wmismatched-new-delete inside Asio's awaitable frame allocator (an inlined
# recycling allocator it cannot see through). Only that warning is turned off.
function(radbridge_asio_target target)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-mismatched-new-delete)
  endif()
endfunction()
