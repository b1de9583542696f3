# dnsacme_unit_test(NAME SOURCES src... LIBS lib...): one executable, one ctest
# test, run from the directory that holds the test's data (tests/data).
function(dnsacme_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(test_${name} ${T_SOURCES})
  target_include_directories(test_${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests/unit"
                             "${PROJECT_SOURCE_DIR}/core" "${PROJECT_SOURCE_DIR}/core/include")
  target_link_libraries(test_${name} PRIVATE ${T_LIBS})
  set_target_properties(test_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
  add_test(NAME unit.${name} COMMAND test_${name}
           WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}/tests/data")
  set_tests_properties(unit.${name} PROPERTIES LABELS unit)
endfunction()

# dnsacme_fuzz_target(NAME SOURCES src... LIBS lib...): a libFuzzer target
# build/tests/fuzz_NAME (only with -DDNSACME_FUZZ=ON, clang). Its seeds are
# tests/fuzz/corpus/NAME/, its dictionary tests/fuzz/dict/NAME.dict when there
# is one; scripts/test.sh runs each briefly, scripts/fuzz.sh long.
function(dnsacme_fuzz_target name)
  if(NOT DNSACME_FUZZ)
    return()
  endif()
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(fuzz_${name} ${T_SOURCES})
  target_include_directories(fuzz_${name} PRIVATE "${PROJECT_SOURCE_DIR}/tests/fuzz"
                             "${PROJECT_SOURCE_DIR}/core" "${PROJECT_SOURCE_DIR}/core/include")
  target_link_libraries(fuzz_${name} PRIVATE ${T_LIBS})
  target_compile_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(fuzz_${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/tests")
endfunction()
