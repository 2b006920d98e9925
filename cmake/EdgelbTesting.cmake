# edgelb_add_test(NAME <name> LABELS <label>...
#                 [SOURCES <src>... LIBS <lib>...]     -> builds a GoogleTest binary
#                 [COMMAND <cmd>...]                   -> runs an existing command
#                 [TIMEOUT <s>] [ENV <K=V>...])
# Labels: unit, packet, zk (a real ZooKeeper server), integration, system, package (the .deb), fuzz. `ctest -L unit` selects a set.
include(CTest)
include(GoogleTest)

function(edgelb_add_test)
  cmake_parse_arguments(T "" "NAME;TIMEOUT" "LABELS;SOURCES;LIBS;COMMAND;ENV" ${ARGN})
  if(NOT T_NAME OR NOT T_LABELS)
    message(FATAL_ERROR "edgelb_add_test needs NAME and LABELS")
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  if(T_SOURCES)
    add_executable(${T_NAME} ${T_SOURCES})
    target_link_libraries(${T_NAME} PRIVATE ${T_LIBS} GTest::gtest GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${T_NAME}
      TEST_PREFIX "${T_NAME}."
      PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT} ENVIRONMENT "${T_ENV}"
      DISCOVERY_TIMEOUT 60)
  else()
    add_test(NAME ${T_NAME} COMMAND ${T_COMMAND})
    set_tests_properties(${T_NAME} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT})
    if(T_ENV)
      set_tests_properties(${T_NAME} PROPERTIES ENVIRONMENT "${T_ENV}")
    endif()
  endif()
endfunction()

# edgelb_add_case_script(SCRIPT <file.py> LABEL <label> PREFIX <name> [TIMEOUT <s>] [SERIAL])
# A Python script that lists its cases (`--list`, ';'-separated) and runs one
# (`--case C --binary B --workdir W`) becomes one ctest per case, named <prefix>.<case>,
# run against the real edgelb-dataplane.
function(edgelb_add_case_script)
  cmake_parse_arguments(S "SERIAL" "SCRIPT;LABEL;PREFIX;TIMEOUT" "" ${ARGN})
  execute_process(COMMAND ${EDGELB_PYTHON} ${S_SCRIPT} --list
                  OUTPUT_VARIABLE cases OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cannot list the cases of ${S_SCRIPT} (is python3-scapy installed?)")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${S_SCRIPT})
  foreach(c ${cases})
    edgelb_add_test(NAME ${S_PREFIX}.${c} LABELS ${S_LABEL} TIMEOUT ${S_TIMEOUT}
      COMMAND ${EDGELB_PYTHON} ${S_SCRIPT} --case ${c}
              --binary $<TARGET_FILE:edgelb-dataplane> --workdir ${CMAKE_CURRENT_BINARY_DIR}/work)
    if(S_SERIAL)
      set_tests_properties(${S_PREFIX}.${c} PROPERTIES RUN_SERIAL TRUE)
    endif()
  endforeach()
endfunction()
