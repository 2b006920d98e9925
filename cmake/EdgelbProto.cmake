# edgelb_add_proto_library(<target> ROOT <dir> PROTOS <file>... [GRPC] [DEPS <proto library>...])
# One library of generated protobuf (and with GRPC, gRPC service) code for .proto files below
# ROOT. Paths are rooted like the sources: ROOT/a/b.proto is imported as "a/b.proto" and its
# code included as "a/b.pb.h" / "a/b.grpc.pb.h". DEPS are proto libraries whose files these
# import (their roots become import paths; the well-known google/protobuf types are always
# there). Generated code is compiled without warnings (it is not ours).
function(edgelb_add_proto_library target)
  cmake_parse_arguments(P "GRPC" "ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT P_ROOT OR NOT P_PROTOS)
    message(FATAL_ERROR "edgelb_add_proto_library(${target}) needs ROOT and PROTOS")
  endif()
  set(out ${CMAKE_CURRENT_BINARY_DIR}/proto-${target})
  set(imports -I ${P_ROOT})
  foreach(d IN LISTS P_DEPS)
    get_target_property(r ${d} EDGELB_PROTO_ROOT)
    list(APPEND imports -I ${r})
  endforeach()
  set(generated)
  foreach(p IN LISTS P_PROTOS)
    get_filename_component(dir ${p} DIRECTORY)
    get_filename_component(base ${p} NAME_WLE)
    file(MAKE_DIRECTORY ${out}/${dir})
    set(outs ${out}/${dir}/${base}.pb.h ${out}/${dir}/${base}.pb.cc)
    set(args --cpp_out=${out})
    set(deps ${P_ROOT}/${p} protobuf::protoc)
    if(P_GRPC)
      list(APPEND outs ${out}/${dir}/${base}.grpc.pb.h ${out}/${dir}/${base}.grpc.pb.cc)
      list(APPEND args --grpc_out=${out} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
      list(APPEND deps gRPC::grpc_cpp_plugin)
    endif()
    # protoc names outputs by the file's path below its import root: ROOT/a/b.proto -> a/b.pb.h.
    add_custom_command(OUTPUT ${outs}
                       COMMAND protobuf::protoc ${args} ${imports} ${P_ROOT}/${p}
                       DEPENDS ${deps}
                       COMMENT "protoc ${p}"
                       VERBATIM)
    list(APPEND generated ${outs})
  endforeach()
  add_library(${target} ${generated})
  target_link_libraries(${target} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${P_DEPS})
  target_include_directories(${target} SYSTEM PUBLIC ${out})
  target_compile_options(${target} PRIVATE -w)
  set_target_properties(${target} PROPERTIES EDGELB_PROTO_ROOT ${P_ROOT})
endfunction()

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
