# edgelb_tree_includes(): the include root of one source tree, set once. Call it at the top of
# the tree's CMakeLists.txt; when the directory is done, every target defined there gets the
# tree's folder as its include root ("packet/parser.h", "mesos/mesos_model.h"). With
# CROSS_TREE, targets also get the repository root, for the other tree's headers, always
# written repo-rooted ("dataplane/rpc/field_error.h"). Only the control plane passes it: it may
# use the dataplane's protos, client and RPC conventions, never the reverse (the dataplane
# cannot even name a control-plane header, and its targets link no control-plane library).
function(edgelb_tree_includes)
  cmake_parse_arguments(T "CROSS_TREE" "" "" ${ARGN})
  # Deferred arguments are evaluated when the call runs: bake the value in now.
  cmake_language(EVAL CODE "cmake_language(DEFER CALL _edgelb_apply_tree_includes ${T_CROSS_TREE})")
endfunction()

function(_edgelb_apply_tree_includes cross_tree)
  set(dirs ${CMAKE_CURRENT_SOURCE_DIR})
  if(cross_tree)
    list(APPEND dirs ${PROJECT_SOURCE_DIR})
  endif()
  get_property(targets DIRECTORY PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t IN LISTS targets)
    get_target_property(type ${t} TYPE)
    get_target_property(imported ${t} IMPORTED)
    if(imported)
      continue()
    elseif(type STREQUAL "INTERFACE_LIBRARY")
      target_include_directories(${t} INTERFACE ${dirs})
    elseif(type MATCHES "LIBRARY$")
      target_include_directories(${t} PUBLIC ${dirs})
    elseif(type STREQUAL "EXECUTABLE")
      target_include_directories(${t} PRIVATE ${dirs})
    endif()
  endforeach()
endfunction()
