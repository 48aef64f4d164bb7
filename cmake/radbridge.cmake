# Helpers shared by every CMakeLists.txt of the project.
#
# radbridge_target(TARGET)   our warnings (and sanitizers when enabled) on one target
# radbridge_unity_build(TARGET)  its sources compiled four to a translation unit
# radbridge_test_code(TARGET)  test code (fixtures, suites) at -O0
# radbridge_transport_code(TARGET)  Asio/Beast-heavy glue: lighter sanitizer builds
# radbridge_add_test(NAME SOURCES ... LIBS ... LABELS ... [ARGS ...])
#                            a doctest executable registered with CTest
# radbridge_register_test(NAME PROGRAM LABELS ... [ARGS ...])
#                            another CTest test running a doctest program
# radbridge_export_headers(TARGET FOLDER [HEADERS ...])
#                            the only headers TARGET shows to what links it

function(radbridge_target target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wconversion -Wshadow -Wsign-conversion)
  if(RADBRIDGE_SANITIZE)
    target_compile_options(${target} PRIVATE
      -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
      # -O1 and line tables only: what the sanitizers' reports need, and it
      # halves the compile time of the Asio/Beast translation units.
      -O1 -g1
      # GCC 12 under the sanitizers reports std::regex's own std::function
      # members as maybe uninitialized (libstdc++'s regex_automaton.h): a
      # false positive the release build does not see.
      $<$<CXX_COMPILER_ID:GNU>:-Wno-maybe-uninitialized>)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    radbridge_unity_build(${target})
  endif()
endfunction()

# Our libraries and test programs compile four source files at a time (a
# CMake unity build): the standard, Asio and doctest headers are parsed and
# their templates instantiated once per four files instead of once per file.
# It took the release build from about 900 to 560 s of CPU. Files batched
# together share one translation unit, so two helpers of the same name in
# the anonymous namespaces of one library collide: share the helper
# (tests/support, a header of the folder) or name it for what it does. A
# target whose files each keep their own `options` (the commands of
# engine/cli) opts out with UNITY_BUILD OFF.
# GCC takes the files included into a batch for headers and warns
# (-Wsubobject-linkage) about their anonymous-namespace types; in a unity
# build that is no finding, so that warning is off there.
function(radbridge_unity_build target)
  set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 4)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(${target} PRIVATE -Wno-subobject-linkage)
  endif()
endfunction()

# Test code itself (not the libraries it tests) at -O0 in every build, the
# sanitizer build included (after radbridge_target's -O1, so it wins), and
# without UBSan's checks there (ASan stays, so containers are annotated
# alike on both sides of every call): nothing in a test is hot, and doctest's
# expanded macros and Asio's templates compile 15% faster than at -O1 in the
# release build, and in about 40% of the time under the sanitizers. The engine's
# code, which the tests exercise, keeps its optimisation and its full
# instrumentation.
function(radbridge_test_code target)
  target_compile_options(${target} PRIVATE -O0)
  if(RADBRIDGE_SANITIZE)
    target_compile_options(${target} PRIVATE -fno-sanitize=undefined)
  endif()
endfunction()

# Libraries that are mostly Boost.Asio and Beast templates around little
# logic of their own (network transport, the admin server, delivery, the
# command line): in the sanitizer build at -O0 and without UBSan's checks
# (ASan stays), like the test code. Their two heaviest translation units
# (the HTTP client and server) took 97 and 105 s each under -O1 with both
# sanitizers, 34 s with ASan alone at -O0; the logic they call (parsers,
# ingest, store, fetch, route, results) keeps both sanitizers.
function(radbridge_transport_code target)
  if(RADBRIDGE_SANITIZE)
    target_compile_options(${target} PRIVATE -O0 -fno-sanitize=undefined)
  endif()
endfunction()

function(radbridge_add_test name)
  cmake_parse_arguments(arg "" "" "SOURCES;LIBS;LABELS;ARGS" ${ARGN})
  add_executable(${name} ${arg_SOURCES})
  target_link_libraries(${name} PRIVATE ${arg_LIBS} radbridge_doctest_main)
  radbridge_target(${name})
  radbridge_test_code(${name})
  radbridge_unity_build(${name})
  radbridge_register_test(${name} ${name} LABELS ${arg_LABELS} ARGS ${arg_ARGS})
endfunction()

# radbridge_register_test(NAME PROGRAM LABELS ... ARGS ...): a CTest test
# running a doctest program (ARGS: e.g. a test-suite filter).
function(radbridge_register_test name program)
  cmake_parse_arguments(arg "" "" "LABELS;ARGS" ${ARGN})
  add_test(NAME ${name} COMMAND ${program} --no-intro --force-colors=0 ${arg_ARGS})
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

# Each library's public include directory holds its own headers and nothing
# else, so `#include "fetch/x.hpp"` compiles only in targets that link the
# library owning x.hpp: an include that crosses the link graph fails to
# compile. The directory is ${CMAKE_BINARY_DIR}/exported/TARGET, with FOLDER/
# inside holding a symbolic link to each header (so an edited header is seen
# at once; adding or removing one re-runs CMake through the glob, or through
# the edited HEADERS list). HEADERS names the headers, relative to the current
# source folder, where two libraries share a folder; without it, every *.hpp
# of the folder. Compiler messages name the link's path
# (build/exported/TARGET/FOLDER/x.hpp); it resolves to engine/FOLDER/x.hpp.
function(radbridge_export_headers target folder)
  cmake_parse_arguments(arg "" "" "HEADERS" ${ARGN})
  if(arg_HEADERS)
    set(headers ${arg_HEADERS})
  else()
    file(GLOB headers CONFIGURE_DEPENDS RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*.hpp)
  endif()
  set(root ${CMAKE_BINARY_DIR}/exported/${target})
  file(REMOVE_RECURSE ${root})
  file(MAKE_DIRECTORY ${root}/${folder})
  foreach(header IN LISTS headers)
    if(NOT EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${header})
      message(FATAL_ERROR "radbridge_export_headers(${target}): no header ${CMAKE_CURRENT_SOURCE_DIR}/${header}")
    endif()
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR}/${header} ${root}/${folder}/${header} SYMBOLIC)
  endforeach()
  target_include_directories(${target} PUBLIC ${root})
endfunction()
