# ONNX protobuf parser and XNNPACK for the nn/ layer.
#
# Included by the top-level CMakeLists.txt. It:
#  - runs protoc-c at build time on the onnx.proto that Debian's libonnx-dev installs (nothing
#    generated is kept in the repository) and builds the STATIC library `auface_nn_proto`, which
#    exports the folder holding onnx.pb-c.h and links protobuf-c;
#  - finds XNNPACK and pthreadpool (Debian libxnnpack-dev, libpthreadpool-dev);
#  - defines AUFACE_NN_LIBS, the libraries a target using src/nn/ must link.

find_program(PROTOC_C_EXECUTABLE protoc-c REQUIRED)
find_path(ONNX_PROTO_DIR onnx/onnx.proto PATHS /usr/include REQUIRED
          DOC "Folder that holds onnx/onnx.proto (Debian: libonnx-dev)")
find_path(PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h REQUIRED)
find_library(PROTOBUF_C_LIB protobuf-c REQUIRED)
find_path(XNNPACK_INCLUDE_DIR xnnpack.h REQUIRED)
find_library(XNNPACK_LIB XNNPACK REQUIRED)
find_library(PTHREADPOOL_LIB pthreadpool REQUIRED)

# protoc-c names its outputs after the .proto path relative to --proto_path, so copy the file
# into its own folder in the build tree: the outputs become onnx.pb-c.c/.h there.
set(AUFACE_ONNX_GEN_DIR ${CMAKE_BINARY_DIR}/generated/onnx)
set(AUFACE_ONNX_PROTO_SRC ${ONNX_PROTO_DIR}/onnx/onnx.proto)
add_custom_command(
  OUTPUT ${AUFACE_ONNX_GEN_DIR}/onnx.pb-c.c ${AUFACE_ONNX_GEN_DIR}/onnx.pb-c.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${AUFACE_ONNX_GEN_DIR}
  COMMAND ${CMAKE_COMMAND} -E copy ${AUFACE_ONNX_PROTO_SRC} ${AUFACE_ONNX_GEN_DIR}/onnx.proto
  COMMAND ${PROTOC_C_EXECUTABLE} --proto_path=${AUFACE_ONNX_GEN_DIR}
          --c_out=${AUFACE_ONNX_GEN_DIR} ${AUFACE_ONNX_GEN_DIR}/onnx.proto
  DEPENDS ${AUFACE_ONNX_PROTO_SRC}
  COMMENT "Generating the ONNX protobuf-c parser from ${AUFACE_ONNX_PROTO_SRC}"
  VERBATIM)

add_library(auface_nn_proto STATIC ${AUFACE_ONNX_GEN_DIR}/onnx.pb-c.c ${AUFACE_ONNX_GEN_DIR}/onnx.pb-c.h)
# Generated code: the project's warning flags are not ours to enforce on it.
target_compile_options(auface_nn_proto PRIVATE -w)
target_include_directories(auface_nn_proto PUBLIC ${AUFACE_ONNX_GEN_DIR} ${PROTOBUF_C_INCLUDE_DIR})
target_link_libraries(auface_nn_proto PUBLIC ${PROTOBUF_C_LIB})
set_target_properties(auface_nn_proto PROPERTIES POSITION_INDEPENDENT_CODE ON)

# XNNPACK's header includes <pthreadpool.h>; both live in /usr/include on Debian.
set(AUFACE_NN_LIBS auface_nn_proto ${XNNPACK_LIB} ${PTHREADPOOL_LIB})
set(AUFACE_NN_INCLUDE_DIRS ${XNNPACK_INCLUDE_DIR})
