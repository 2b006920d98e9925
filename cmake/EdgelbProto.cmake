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
