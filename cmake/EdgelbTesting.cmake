# edgelb_add_test(NAME <name> LABELS <label>...
#                 [SOURCES <src>... LIBS <lib>...]     -> builds a GoogleTest binary
#                 [COMMAND <cmd>...]                   -> runs an existing command
#                 [TIMEOUT <s>] [ENV <K=V>...])
# Labels: unit, packet, integration, system, fuzz. `ctest -L unit` selects a set.
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
